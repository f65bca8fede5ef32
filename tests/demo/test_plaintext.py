"""Messages as a person reads them in a transcript: names for ids, emoji for shortcodes, the
fallback of dates, no formatting marks, buttons in brackets; code untouched."""

from __future__ import annotations

from typing import Any

from sim.slack import EmulatorConfig
from sim.slack.plaintext import plain_confirm, plain_message, plain_mrkdwn
from sim.slack.web.mrkdwn import Names
from sim.slack.workspace import Workspace

NAMES = Names.of(Workspace(EmulatorConfig()))

DATE = "<!date^1795706734^{date_short_pretty} {time}|2026-11-26 15:25 UTC>"

# The approved request card as lkubot posted it in the demo (block ids left out).
APPROVED_CARD: list[dict[str, Any]] = [
    {
        "type": "header",
        "text": {"type": "plain_text", "text": "LU-1: Live Kernel Update on lpar002"},
    },
    {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": "*Target*\nlpar002 · group prod"},
            {"type": "mrkdwn", "text": f"*Requested by*\n<@U0CAROL01> · {DATE}"},
            {"type": "mrkdwn", "text": "*Install*\n`update_all`"},
            {"type": "mrkdwn", "text": "*State*\n:white_check_mark: Approved"},
            {"type": "mrkdwn", "text": "*AIX level*\n7300-02-02-2420"},
        ],
    },
    {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": ":scales: Needs 2 approvals from <!subteam^S0AIXAPPR>, not the requester.",
            }
        ],
    },
    {"type": "divider"},
    {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": "*Checks on lpar002* · 2 pass\n:white_check_mark: *HMC token*: hmc01 as "
            "liveupdate\n:white_check_mark: *LLU mode*: llu_mode = 1",
        },
        "accessory": {
            "type": "static_select",
            "action_id": "check_details",
            "placeholder": {"type": "plain_text", "text": "Evidence…"},
            "options": [{"text": {"type": "plain_text", "text": "HMC token"}, "value": "LU-1 x y"}],
        },
    },
    {
        "type": "actions",
        "block_id": "request_actions",
        "elements": [
            {
                "type": "button",
                "action_id": "launch",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Launch"},
                "value": "LU-1",
                "confirm": {
                    "title": {"type": "plain_text", "text": "Launch LU-1 on lpar002?"},
                    "text": {"type": "plain_text", "text": "Start the live kernel update now?"},
                    "confirm": {"type": "plain_text", "text": "Launch"},
                    "deny": {"type": "plain_text", "text": "Not now"},
                },
            },
            {
                "type": "button",
                "action_id": "reject",
                "style": "danger",
                "text": {"type": "plain_text", "text": "Reject"},
                "value": "LU-1",
            },
        ],
    },
]


def test_a_card_reads_line_by_line_with_fields_two_to_a_line() -> None:
    assert plain_message("LU-1: LKU on lpar002", APPROVED_CARD, NAMES) == [
        "LU-1: Live Kernel Update on lpar002",
        "Target lpar002 · group prod" + " " * 17 + "   Requested by @carol · 2026-11-26 15:25 UTC",
        "Install `update_all`" + " " * 24 + "   State \u2705 Approved",
        "AIX level 7300-02-02-2420",
        "\u2696\ufe0f Needs 2 approvals from @aix-approvers, not the requester.",
        "Checks on lpar002 · 2 pass   [Evidence… \u25be]",
        "\u2705 HMC token: hmc01 as liveupdate",
        "\u2705 LLU mode: llu_mode = 1",
        "[Launch] [Reject]",
    ]


def test_a_confirmation_dialog_reads_as_its_question_and_two_buttons() -> None:
    confirm = APPROVED_CARD[-1]["elements"][0]["confirm"]
    assert plain_confirm(confirm, NAMES) == (
        '"Launch LU-1 on lpar002? Start the live kernel update now?"  [Launch] [Not now]'
    )


def test_mentions_channels_and_user_groups_read_as_names() -> None:
    text = "<@U0ALICE01> approved; see <#C0AIXTEAM>, ask <!subteam^S0AIXAPPR> or <!here>"
    assert plain_mrkdwn(text, NAMES) == (
        "@alice approved; see #aix-team, ask @aix-approvers or @here"
    )
    # An id the workspace does not know keeps its label, or else the id itself.
    assert plain_mrkdwn("<@U0NOBODY1|someone> and <@U0NOBODY2>", NAMES) == (
        "@someone and @U0NOBODY2"
    )


def test_formatting_marks_go_and_code_stays_as_typed() -> None:
    text = "*LU-1* _done_ ~old~ `geninstall -k -p *_x_*` update_all 2*3*4 &lt;pid&gt; &amp;"
    assert plain_mrkdwn(text, NAMES) == (
        "LU-1 done old `geninstall -k -p *_x_*` update_all 2*3*4 <pid> &"
    )


def test_a_code_block_keeps_its_lines_without_fences() -> None:
    text = "*Configuration files changed*\n```\n--- /etc/inittab\n+clcomd:2:once:x &gt; y\n```"
    assert plain_mrkdwn(text, NAMES).split("\n") == [
        "Configuration files changed",
        "--- /etc/inittab",
        "+clcomd:2:once:x > y",
    ]


def test_links_read_as_their_label_and_unknown_emoji_stay_as_typed() -> None:
    assert plain_mrkdwn("<https://ibm.com/docs|AIX docs> :tada: :no_such_emoji:", NAMES) == (
        "AIX docs \U0001f389 :no_such_emoji:"
    )


def test_a_message_without_blocks_reads_as_its_text() -> None:
    assert plain_message(":stopwatch: *LU-1* blackout 21 s\nsecond line", [], NAMES) == [
        "\u23f1\ufe0f LU-1 blackout 21 s",
        "second line",
    ]
