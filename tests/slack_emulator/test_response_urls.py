"""Response URLs: what a bot's POSTs there do to the workspace, and Slack's limits on them."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from sim.slack import SlackEmulator

from .conftest import stub_bot

BUTTON_BLOCKS: list[dict[str, Any]] = [
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Launch"},
                "action_id": "launch",
                "value": "LU-17",
            }
        ],
    }
]


async def _command_url(slack: SlackEmulator, user: str = "carol") -> str:
    async with stub_bot(slack) as bot:
        await slack.slash(user, "aix-team", "/lku", "status LU-17")
    return str(bot.payloads[-1]["response_url"])


async def test_in_channel_then_replace_then_delete(slack: SlackEmulator) -> None:
    hook = AsyncWebhookClient(await _command_url(slack))
    posted = await hook.send(text="LU-17 is running", response_type="in_channel")
    assert posted.status_code == 200
    [message] = slack.state.channel_messages("aix-team")
    assert message.user == slack.config.bot_user_id
    await hook.send(text="LU-17 finished", replace_original=True)
    assert message.text == "LU-17 finished"
    assert [v.text for v in message.history] == ["LU-17 is running"]
    await hook.send(delete_original=True)
    assert slack.state.channel_messages("aix-team") == []
    assert [r.outcome for r in slack.responses] == [
        "posted in_channel",
        "replaced message",
        "deleted message",
    ]


async def test_default_is_ephemeral_to_the_user_who_typed(slack: SlackEmulator) -> None:
    hook = AsyncWebhookClient(await _command_url(slack, "oscar"))
    await hook.send(text="You are not an approver of group prod.")
    [private] = slack.state.ephemerals_for("oscar")
    assert private.content == "You are not an approver of group prod."
    assert slack.state.channel_messages("aix-team") == []


async def test_clicks_on_ephemeral_messages_answer_in_place(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    async with stub_bot(slack) as bot:
        answer = await client.chat_postEphemeral(
            channel="C0AIXTEAM", user="U0CAROL01", text="Launch LU-17?", blocks=BUTTON_BLOCKS
        )
        await slack.click("carol", answer["message_ts"], "launch")
    payload = bot.payloads[-1]
    assert payload["container"]["is_ephemeral"] is True
    assert "message" not in payload  # Slack does not send ephemeral messages back
    hook = AsyncWebhookClient(payload["response_url"])
    await hook.send(text="Launching LU-17", replace_original=True)
    [private] = slack.state.ephemerals_for("carol")
    assert private.text == "Launching LU-17"
    await hook.send(delete_original=True)
    assert slack.state.ephemerals_for("carol") == []
    assert [c.method for c in slack.calls] == ["chat.postEphemeral"]


async def test_a_response_url_works_five_times(slack: SlackEmulator) -> None:
    hook = AsyncWebhookClient(await _command_url(slack))
    statuses = [(await hook.send(text=f"update {n}")).status_code for n in range(6)]
    assert statuses == [200, 200, 200, 200, 200, 404]
    assert slack.responses[-1].outcome == "used_url"
    assert len(slack.state.ephemerals_for("carol")) == 5


async def test_bad_urls_and_bad_blocks_are_refused(slack: SlackEmulator) -> None:
    url = await _command_url(slack)
    unknown = await AsyncWebhookClient(url.rsplit("/", 1)[0] + "/forged").send(text="x")
    assert unknown.status_code == 404
    too_long = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
    refused = await AsyncWebhookClient(url).send(text="x", blocks=too_long)
    assert refused.status_code == 400
    assert "invalid_blocks" in refused.body
    assert slack.state.ephemerals_for("carol") == []


async def test_a_slash_ack_can_answer_in_channel(slack: SlackEmulator) -> None:
    async with stub_bot(slack) as bot:
        bot.reply = lambda _: web.json_response(
            {"response_type": "in_channel", "text": "LU-17 open"}
        )
        delivery = await slack.slash("carol", "aix-team", "/lku", "preview lpar01")
    assert delivery.ack == {"response_type": "in_channel", "text": "LU-17 open"}
    assert [m.text for m in slack.state.channel_messages("aix-team")] == ["LU-17 open"]
    assert slack.state.ephemerals_for("carol") == []


async def test_a_slash_ack_with_invalid_blocks_shows_nothing(slack: SlackEmulator) -> None:
    too_long = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
    async with stub_bot(slack) as bot:
        bot.reply = lambda _: web.json_response({"text": "x", "blocks": too_long})
        delivery = await slack.slash("carol", "aix-team", "/lku", "help")
    assert delivery.acked
    assert delivery.error == "invalid_blocks"
    assert slack.state.ephemerals_for("carol") == []
