"""The page in a real browser (Debian's Chromium under Playwright) against a tiny slack_bolt app
in HTTP mode: a user types a slash command with completion, another user approves through a
confirmation dialog and sees the bot's edit arrive live, a third rejects through a modal whose
input the app refuses once. Nothing is reloaded: every change arrives over the event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import SlackEmulator
from tests.slack_emulator.conftest import bolt_app, served

from .samples import REASON_MODAL

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

# Every expectation waits up to 10 s for the page to show it: generous on a busy 2-core machine,
# and a passing run waits only as long as the page takes.
expect.set_options(timeout=10_000)


def _card(lpar: str, requester: str, outcome: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The request card: what a bot like lkubot posts, with every kind of block."""
    votes = outcome or {
        "type": "actions",
        "block_id": "votes",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "value": "LU-1",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Approve"},
                "confirm": {
                    "title": {"type": "plain_text", "text": "Approve LU-1?"},
                    "text": {"type": "mrkdwn", "text": f"This approves the update of *{lpar}*."},
                    "confirm": {"type": "plain_text", "text": "Yes, approve"},
                    "deny": {"type": "plain_text", "text": "Not yet"},
                },
            },
            {
                "type": "button",
                "action_id": "reject",
                "value": "LU-1",
                "style": "danger",
                "text": {"type": "plain_text", "text": "Reject"},
            },
        ],
    }
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"LU-1: {lpar}"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"<@{requester}> asks for `geninstall -k` on *{lpar}*.\n"
                '&lt;img src=x onerror="window.pwned=1"&gt; stays text.',
            },
            "fields": [
                {"type": "mrkdwn", "text": "*oslevel*\n7300-02-02-2420"},
                {"type": "mrkdwn", "text": "*Approvers*\n<!subteam^S0AIXAPPR>"},
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": ":hourglass: 1 approval"}]},
        {"type": "divider"},
        votes,
    ]


def _standin_bot(slack: SlackEmulator) -> AsyncApp:
    app = bolt_app(slack)
    card: dict[str, str] = {}

    @app.command("/lku")
    async def lku(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        lpar = command["text"].split()[-1]
        await ack(f"Previewing {lpar}...")
        posted = await client.chat_postMessage(
            channel=command["channel_id"],
            text=f"LU-1: {lpar}",
            blocks=_card(lpar, command["user_id"], None),
        )
        card.update(channel=posted["channel"], ts=posted["ts"], lpar=lpar, by=command["user_id"])

    async def settle(client: AsyncWebClient, line: str) -> None:
        outcome = {"type": "section", "text": {"type": "mrkdwn", "text": line}}
        await client.chat_update(
            channel=card["channel"],
            ts=card["ts"],
            text=line,
            blocks=_card(card["lpar"], card["by"], outcome),
        )

    @app.action("approve")
    async def approve(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        line = f":white_check_mark: Approved by <@{body['user']['id']}>"
        await settle(client, line)
        await client.chat_postMessage(channel=card["channel"], thread_ts=card["ts"], text=line)

    @app.action("reject")
    async def reject(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=REASON_MODAL)

    @app.view_closed("reject_reason")
    async def closed(ack: AsyncAck) -> None:
        await ack()

    @app.view("reject_reason")
    async def reason(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        given = body["view"]["state"]["values"]["reason"]["text"]["value"] or ""
        if len(given) < 5:
            await ack(
                response_action="errors",
                errors={"reason": "Say why in a few words, for the audit trail."},
            )
            return
        await ack()
        await settle(client, f":x: Rejected by <@{body['user']['id']}>: {given}")

    return app


@asynccontextmanager
async def _page_with(
    bot: AsyncApp, slack: SlackEmulator, browser: Browser, query: str
) -> AsyncIterator[Page]:
    """The bot served in HTTP mode, and the page in a new tab once it follows the changes."""
    async with served(bot) as events_url:
        slack.events_url = events_url
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        await page.goto(f"{slack.page_url}?{query}")
        await expect(page.locator("#connection.live")).to_be_visible()
        yield page


async def _act_as(page: Page, name: str) -> None:
    await page.select_option("#user-switcher", label=_label(name))
    await expect(page.locator("#connection.live")).to_be_visible()


def _label(name: str) -> str:
    return {
        "carol": "carol (Carol Requester)",
        "alice": "alice (Alice Approver)",
        "bob": "bob (Bob Approver)",
    }[name]


async def test_a_request_is_typed_approved_and_rejected_in_the_browser(
    slack: SlackEmulator, browser: Browser, tmp_path: Path
) -> None:
    async with _page_with(_standin_bot(slack), slack, browser, "as=carol&channel=aix-team") as page:
        await expect(page.locator("#channel-title")).to_have_text("#aix-team")
        await page.evaluate("window.sameDocument = true")

        # The composer completes the verb, then an LPAR name, then sends the command.
        composer = page.locator("#composer-input")
        await composer.type("/lku pre")
        await expect(page.locator("#composer .completions li")).to_have_text(["preview"])
        await composer.press("Tab")
        await composer.type("lpar0")
        await expect(page.locator("#composer .completions li")).to_have_text(
            ["lpar01", "lpar02", "lpar03"]
        )
        await composer.press("ArrowDown")
        await composer.press("Enter")
        await expect(composer).to_have_value("/lku preview lpar02 ")
        await composer.press("Enter")

        ephemeral = page.locator(".msg.ephemeral")
        await expect(ephemeral).to_contain_text("Previewing lpar02...")
        await expect(ephemeral).to_contain_text("Only visible to you")
        card = page.locator(".msg", has_text="LU-1: lpar02")
        await expect(card.locator(".sk-header")).to_have_text("LU-1: lpar02")
        await expect(card).to_contain_text("@carol asks for geninstall -k on lpar02.")
        await expect(card.locator(".sk-code")).to_have_text("geninstall -k")
        await expect(card.locator(".sk-field").nth(1)).to_contain_text("@aix-approvers")
        await expect(card).to_contain_text('<img src=x onerror="window.pwned=1"> stays text.')
        await expect(card.locator(".sk-context")).to_contain_text("\u231b 1 approval")
        assert await card.locator(".msg-body img").count() == 0

        # Alice does not see Carol's ephemeral; she approves through the confirmation dialog.
        await _act_as(page, "alice")
        await expect(page.locator(".msg.ephemeral")).to_have_count(0)
        await card.locator("button", has_text="Approve").click()
        dialog = page.locator("#confirm-dialog")
        await expect(dialog).to_contain_text("Approve LU-1?")
        await expect(dialog).to_contain_text("This approves the update of lpar02.")
        await expect(dialog.locator("b")).to_have_text("lpar02")
        await dialog.locator("button", has_text="Not yet").click()
        await expect(dialog).to_be_hidden()
        assert not [d for d in slack.deliveries if d.interaction.type == "block_actions"]

        await card.locator("button", has_text="Approve").click()
        await dialog.locator("button", has_text="Yes, approve").click()
        await expect(card).to_contain_text("\u2705 Approved by @alice")
        await expect(card.locator(".edited")).to_have_text("(edited)")
        await expect(card.locator("button", has_text="Approve")).to_have_count(0)

        # The bot's reply is in the card's thread.
        await card.locator(".thread-link button").click()
        thread = page.locator("#thread")
        await expect(thread.locator("#thread-count")).to_have_text("1 reply")
        await expect(thread.locator("#thread-messages")).to_contain_text("Approved by @alice")

        await page.locator("#thread-close").click()
        await expect(thread).to_be_hidden()

        # Bob rejects a new request: a modal, an input the app refuses once, then the edit.
        await _act_as(page, "bob")
        await _reject(page, slack)

        assert await page.evaluate("window.sameDocument") is True
        assert await page.evaluate("window.pwned") is None
        await page.screenshot(path=tmp_path / "page.png", full_page=True)
        assert (tmp_path / "page.png").stat().st_size > 10_000


async def _reject(page: Page, slack: SlackEmulator) -> None:
    await page.locator("#composer-input").fill("/lku preview lpar03")
    await page.locator("#composer-input").press("Enter")
    fresh = page.locator(".msg", has_text="LU-1: lpar03")
    await fresh.locator("button", has_text="Reject").click()
    modal = page.locator("#modal-dialog")
    await expect(modal.locator("#modal-title")).to_have_text("Reject LU-1")
    await modal.locator("#modal-close").click()
    await expect(modal).to_be_hidden()
    assert slack.deliveries[-1].interaction.type == "view_closed"

    await fresh.locator("button", has_text="Reject").click()
    await expect(modal.locator("#modal-close")).to_have_text("Cancel")
    await modal.locator("input[name='reason/text']").fill("no")
    await modal.locator("#modal-submit").click()
    await expect(modal.locator(".sk-input-error")).to_have_text(
        "Say why in a few words, for the audit trail."
    )
    await modal.locator("input[name='reason/text']").fill("not tonight")
    await modal.locator("#modal-submit").click()
    await expect(modal).to_be_hidden()
    await expect(fresh).to_contain_text("\u274c Rejected by @bob: not tonight")
    assert not slack.state.open_views("bob")


def _menus_bot(slack: SlackEmulator) -> AsyncApp:
    """A bot whose message has a select with a confirmation dialog and an overflow menu."""
    app = bolt_app(slack)
    mode_select = {
        "type": "static_select",
        "action_id": "mode",
        "placeholder": {"type": "plain_text", "text": "LLU mode"},
        "options": [
            {"text": {"type": "plain_text", "text": f"llu_mode={n}"}, "value": str(n)}
            for n in (0, 1, 2)
        ],
        "confirm": {
            "title": {"type": "plain_text", "text": "Change the LLU mode?"},
            "text": {"type": "plain_text", "text": "raso -o llu_mode changes at once."},
            "confirm": {"type": "plain_text", "text": "Change"},
            "deny": {"type": "plain_text", "text": "Keep"},
            "style": "danger",
        },
    }
    more = {
        "type": "overflow",
        "action_id": "more",
        "options": [
            {"text": {"type": "plain_text", "text": "Show the log"}, "value": "log"},
            {"text": {"type": "plain_text", "text": "Forget it"}, "value": "none"},
        ],
    }

    def blocks(line: str) -> list[dict[str, Any]]:
        return [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": line},
                "accessory": mode_select,
            },
            {"type": "actions", "elements": [more]},
        ]

    @app.command("/llu")
    async def llu(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(
            channel=command["channel_id"], text="LLU", blocks=blocks("*lpar01* llu_mode=1")
        )

    @app.action("mode")
    async def mode(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        chosen = body["actions"][0]["selected_option"]["value"]
        message = body["message"]
        await client.chat_update(
            channel=body["channel"]["id"],
            ts=message["ts"],
            text="LLU",
            blocks=blocks(f"*lpar01* llu_mode={chosen}"),
        )

    @app.action("more")
    async def show_log(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.files_upload_v2(
            channel=body["channel"]["id"],
            thread_ts=body["message"]["ts"],
            filename="llvupdate.log",
            title="llvupdate.log",
            content="llvupdate: 2 processes updated\n",
        )
        await client.chat_postMessage(channel="prod-ops", text="LLU on lpar01 started")

    return app


async def test_selects_menus_messages_replies_and_files_in_the_browser(
    slack: SlackEmulator, browser: Browser, tmp_path: Path
) -> None:
    async with _page_with(_menus_bot(slack), slack, browser, "as=dana") as page:
        await expect(page.locator("#user-switcher")).to_have_value("U0ADMIN01")
        composer = page.locator("#composer-input")

        await composer.fill("Patching lpar01 tonight")
        await composer.press("Enter")
        said = page.locator(".msg", has_text="Patching lpar01 tonight")
        await expect(said.locator(".author")).to_have_text("Dana Admin")

        await composer.fill("/llu preview lpar01")
        await composer.press("Enter")
        card = page.locator(".msg", has_text="llu_mode=1").first
        select = card.locator("select[data-action-id='mode']")
        await select.select_option("2")
        dialog = page.locator("#confirm-dialog")
        await expect(dialog).to_contain_text("raso -o llu_mode changes at once.")
        await expect(dialog.locator("#confirm-accept.danger")).to_have_text("Change")
        await dialog.locator("button", has_text="Keep").click()
        await expect(select).to_have_value("")
        await select.select_option("2")
        await dialog.locator("button", has_text="Change").click()
        await expect(card.locator(".sk-text")).to_have_text("lpar01 llu_mode=2")

        await card.locator("summary").click()
        await card.locator(".sk-overflow-option", has_text="Show the log").click()
        await expect(page.locator(".sidebar a.unread")).to_have_text("# prod-ops")
        await card.locator(".thread-link button").click()
        log = page.locator("#thread-messages a.file")
        await expect(log).to_contain_text("llvupdate.log")
        href = await log.get_attribute("href")
        assert href is not None
        shown = await page.request.get(f"{slack.base_url}{href}")
        assert await shown.text() == "llvupdate: 2 processes updated\n"

        await page.locator("#thread-input").fill("Thanks, looks clean")
        await page.locator("#thread-input").press("Enter")
        await expect(page.locator("#thread-messages")).to_contain_text("Thanks, looks clean")
        await expect(page.locator("#thread-count")).to_have_text("2 replies")

        await page.locator(".sidebar a", has_text="prod-ops").click()
        await expect(page.locator("#channel-title")).to_have_text("#prod-ops")
        await expect(page.locator("#messages")).to_contain_text("LLU on lpar01 started")
        await expect(page.locator(".sidebar a.unread")).to_have_count(0)
        assert "channel=C0PRODOPS" in page.url
        await page.screenshot(path=tmp_path / "menus.png")
