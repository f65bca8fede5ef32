"""Block Kit drawn for the page: each block and element as Slack shows it, with what the page's
script needs to act (action ids, values, confirmation dialogs, named modal inputs). The blocks
are built with slack_sdk's models, as a bot builds them."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    OptionGroup,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)

from sim.slack.blockkit import check_blocks, check_view
from sim.slack.web.markup import render_blocks, render_message_body
from sim.slack.web.mrkdwn import Names

from .dom import Element, parse

NAMES = Names(
    users={"U0CAROL01": "carol", "U0ALICE01": "alice"},
    channels={"C0PRODOPS": "prod-ops"},
    usergroups={"S0AIXAPPR": "aix-approvers"},
)
HOSTILE = "\"><script>alert(1)</script><b x='"


def drawn(*blocks: Any) -> Element:
    as_json = [b.to_dict() for b in blocks]
    assert check_blocks(as_json) == []
    return parse(render_blocks(as_json, NAMES))


def request_card() -> list[Any]:
    approve = ButtonElement(
        text="Approve",
        action_id="approve",
        value="LU-17",
        style="primary",
        confirm=ConfirmObject(
            title="Approve LU-17?",
            text="You approve *update_all* on `lpar01`.",
            confirm="Approve",
            deny="Back",
            style="primary",
        ),
    )
    reject = ButtonElement(text="Reject", action_id="reject", value="LU-17", style="danger")
    return [
        HeaderBlock(text="LU-17: LKU on lpar01"),
        SectionBlock(
            text=MarkdownTextObject(text="Requested by <@U0CAROL01> :white_check_mark:"),
            fields=[
                MarkdownTextObject(text="*oslevel*\n7300-02-02-2420"),
                MarkdownTextObject(text="*Media*\n`/mnt/7300-03-01`"),
            ],
            accessory=OverflowMenuElement(
                action_id="more",
                options=[Option(value="status", text="Status"), Option(value="log", text="Log")],
            ),
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(text="2 approvals from <!subteam^S0AIXAPPR>"),
                PlainTextObject(text="within 4 h"),
            ]
        ),
        DividerBlock(),
        ActionsBlock(block_id="votes", elements=[approve, reject]),
    ]


def test_a_request_card_reads_like_slack_shows_it() -> None:
    root = drawn(*request_card())
    assert root.one(cls="sk-header").text == "LU-17: LKU on lpar01"
    section = root.one(cls="sk-section")
    assert section.one(cls="sk-text").text == "Requested by @carol \u2705"
    assert [f.text for f in section.all(cls="sk-field")] == [
        "oslevel\n7300-02-02-2420",
        "Media\n/mnt/7300-03-01",
    ]
    assert root.one(cls="sk-context").text == "2 approvals from @aix-approvers" + "within 4 h"
    assert root.all("hr", "sk-divider")


def test_buttons_carry_their_action_value_and_style() -> None:
    buttons = drawn(*request_card()).one(cls="sk-actions").all("button")
    assert [(b.text, b.attrs["data-action-id"], b.attrs["data-value"]) for b in buttons] == [
        ("Approve", "approve", "LU-17"),
        ("Reject", "reject", "LU-17"),
    ]
    assert "sk-primary" in buttons[0].classes
    assert "sk-danger" in buttons[1].classes


def test_a_confirmation_dialog_waits_beside_its_button() -> None:
    approve = drawn(*request_card()).one(cls="sk-actions").all(cls="sk-element")[0]
    dialog = approve.one("template", "sk-confirm")
    assert dialog.attrs["data-confirm"] == "Approve"
    assert dialog.attrs["data-deny"] == "Back"
    assert dialog.attrs["data-style"] == "primary"
    assert dialog.one("h2").text == "Approve LU-17?"
    assert dialog.one(cls="sk-text").one("b").text == "update_all"
    assert dialog.one(cls="sk-text").one("code").text == "lpar01"


def test_an_overflow_menu_lists_its_options() -> None:
    menu = drawn(*request_card()).one(cls="sk-accessory").one("details", "sk-overflow")
    assert menu.attrs["data-action-id"] == "more"
    options = menu.all("button", "sk-overflow-option")
    assert [(o.text, o.attrs["data-value"]) for o in options] == [
        ("Status", "status"),
        ("Log", "log"),
    ]


def test_a_static_select_shows_groups_and_its_initial_option() -> None:
    mode = StaticSelectElement(
        action_id="llu_mode",
        placeholder="LLU mode",
        option_groups=[
            OptionGroup(label="Safe", options=[Option(value="1", text="llu_mode=1")]),
            OptionGroup(label="Off", options=[Option(value="0", text="llu_mode=0")]),
        ],
        initial_option=Option(value="1", text="llu_mode=1"),
    )
    select = drawn(ActionsBlock(elements=[mode])).one("select")
    assert select.attrs["data-action-id"] == "llu_mode"
    assert [g.attrs["label"] for g in select.all("optgroup")] == ["Safe", "Off"]
    chosen = [o for o in select.all("option") if "selected" in o.attrs]
    assert [(o.attrs["value"], o.text) for o in chosen] == [("1", "llu_mode=1")]


def test_radio_buttons_send_actions_and_other_elements_are_inert() -> None:
    root = drawn(
        ActionsBlock(
            elements=[
                RadioButtonsElement(
                    action_id="wave", options=[Option(value="canary", text="Canary first")]
                ),
                DatePickerElement(action_id="when", initial_date="2025-01-29"),
            ]
        )
    )
    radios = root.one(cls="sk-choices")
    assert radios.attrs["data-action-id"] == "wave"
    assert radios.one("input").attrs["value"] == "canary"
    inert = root.one(cls="sk-inert")
    assert "cannot send" in (inert.attrs["title"] or "")
    assert "disabled" in inert.one("input").attrs


def test_images_are_links_the_offline_page_does_not_fetch() -> None:
    root = drawn(ImageBlock(image_url="https://example.com/graph.png", alt_text="CPU graph"))
    link = root.one("a")
    assert link.attrs["href"] == "https://example.com/graph.png"
    assert link.text.endswith("CPU graph")
    assert not root.all("img")


def test_modal_inputs_are_named_block_slash_action() -> None:
    blocks = [
        InputBlock(
            block_id="reason",
            label="Why?",
            hint="Kept in the audit trail.",
            element=PlainTextInputElement(action_id="text", multiline=True, max_length=500),
        ),
        InputBlock(
            block_id="retries",
            label="Retries",
            optional=True,
            element=NumberInputElement(action_id="n", is_decimal_allowed=False, min_value="0"),
        ),
        InputBlock(
            block_id="who",
            label="Notify",
            element=UserSelectElement(action_id="user", initial_user="U0ALICE01"),
        ),
        InputBlock(
            block_id="checks",
            label="Checks",
            element=CheckboxesElement(
                action_id="pick",
                options=[Option(value="genld", text="genld -u"), Option(value="emgr", text="emgr")],
                initial_options=[Option(value="emgr", text="emgr")],
            ),
        ),
    ]
    view: dict[str, Any] = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Reject"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "blocks": [b.to_dict() for b in blocks],
    }
    assert check_view(view) == []
    root = parse(render_blocks(view["blocks"], NAMES))
    reason, retries, who, checks = root.all(cls="sk-input")
    textarea = reason.one("textarea")
    assert (textarea.attrs["name"], textarea.attrs["maxlength"]) == ("reason/text", "500")
    assert "required" in textarea.attrs
    assert reason.one(cls="sk-hint").text == "Kept in the audit trail."
    assert "hidden" in reason.one(cls="sk-input-error").attrs
    number = retries.one("input")
    assert (number.attrs["type"], number.attrs["step"], number.attrs["min"]) == ("number", "1", "0")
    assert "required" not in number.attrs
    assert retries.one(cls="sk-optional").text == "(optional)"
    user = who.one("select")
    assert user.attrs["name"] == "who/user"
    assert [o.text for o in user.all("option") if "selected" in o.attrs] == ["@alice"]
    boxes = checks.all("input")
    assert [(b.attrs["name"], b.attrs["value"], "checked" in b.attrs) for b in boxes] == [
        ("checks/pick", "genld", False),
        ("checks/pick", "emgr", True),
    ]


def test_a_message_without_blocks_shows_its_text_as_mrkdwn() -> None:
    root = parse(render_message_body("*LU-17* finished", [], NAMES))
    assert root.one("b").text == "LU-17"


def test_no_field_of_a_block_can_inject_markup() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": HOSTILE}},
        {
            "type": "section",
            "block_id": HOSTILE,
            "text": {"type": "mrkdwn", "text": HOSTILE},
            "accessory": {
                "type": "button",
                "action_id": HOSTILE,
                "value": HOSTILE,
                "url": "https://x.example/" + HOSTILE,
                "text": {"type": "plain_text", "text": HOSTILE},
                "confirm": {
                    "title": {"type": "plain_text", "text": HOSTILE},
                    "text": {"type": "plain_text", "text": HOSTILE},
                    "confirm": {"type": "plain_text", "text": HOSTILE[:30]},
                    "deny": {"type": "plain_text", "text": HOSTILE[:30]},
                },
            },
        },
        {
            "type": "input",
            "block_id": HOSTILE,
            "label": {"type": "plain_text", "text": HOSTILE},
            "element": {
                "type": "static_select",
                "action_id": HOSTILE,
                "placeholder": {"type": "plain_text", "text": HOSTILE},
                "options": [{"text": {"type": "plain_text", "text": HOSTILE[:75]}, "value": "v"}],
            },
        },
    ]
    root = parse(render_blocks(blocks, NAMES))
    assert not root.all("script")
    assert not root.all("b")
    assert root.one(cls="sk-header").text == HOSTILE
    button = root.one("button")
    assert button.attrs["data-value"] == HOSTILE
    assert button.text == HOSTILE
    assert root.one("select").attrs["name"] == f"{HOSTILE}/{HOSTILE}"
