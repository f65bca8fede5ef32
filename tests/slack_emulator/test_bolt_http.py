"""A tiny slack_bolt app in HTTP mode, driven through the emulator as Slack would drive it:
slash command, button click, modal, response URLs, signature checks and Slack's deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import DeliveryOptions, EmulatorConfig, Message, SlackEmulator

from .conftest import bolt_app, served

REJECT_MODAL = {
    "type": "modal",
    "callback_id": "reject_reason",
    "title": {"type": "plain_text", "text": "Reject LU-17"},
    "submit": {"type": "plain_text", "text": "Reject"},
    "notify_on_close": True,
    "blocks": [
        {
            "type": "input",
            "block_id": "reason",
            "label": {"type": "plain_text", "text": "Why?"},
            "element": {"type": "plain_text_input", "action_id": "reason_text"},
        }
    ],
}


def _card(request_id: str) -> list[dict[str, Any]]:
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"{request_id}: lpar01"}},
        {
            "type": "actions",
            "block_id": "votes",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Approve"},
                    "action_id": "approve",
                    "value": request_id,
                    "style": "primary",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Reject"},
                    "action_id": "reject",
                    "value": request_id,
                    "style": "danger",
                },
            ],
        },
    ]


def _lku_app(slack: SlackEmulator, seen: list[dict[str, Any]]) -> AsyncApp:
    app = bolt_app(slack)

    @app.command("/lku")
    async def lku(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack(f"Previewing {command['text'].split()[-1]}...")
        seen.append(command)
        await client.chat_postMessage(
            channel=command["channel_id"], text="LU-17 requested", blocks=_card("LU-17")
        )
        await respond(text="Request LU-17 is open.")

    @app.action("approve")
    async def approve(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, request: AsyncBoltRequest
    ) -> None:
        await ack()
        seen.append({**body, "retry_num": request.headers.get("x-slack-retry-num", [None])[0]})
        await respond(replace_original=True, text=f"LU-17 approved by <@{body['user']['id']}>")

    @app.action("reject")
    async def reject(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=REJECT_MODAL)

    @app.view("reject_reason")
    async def reason(
        ack: AsyncAck, view: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        text = view["state"]["values"]["reason"]["reason_text"]["value"]
        if len(text) < 5:
            await ack(response_action="errors", errors={"reason": "Say a little more."})
            return
        await ack()
        seen.append(body)
        await client.chat_postMessage(channel="C0AIXTEAM", text=f"LU-17 rejected: {text}")

    @app.view_closed("reject_reason")
    async def closed(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        seen.append(body)

    return app


@asynccontextmanager
async def lku_bot(slack: SlackEmulator) -> AsyncIterator[list[dict[str, Any]]]:
    """The app served over HTTP with the emulator delivering to it; yields what it saw."""
    seen: list[dict[str, Any]] = []
    async with served(_lku_app(slack, seen)) as url:
        slack.events_url = url
        yield seen


async def _request_card(slack: SlackEmulator) -> Message:
    """Carol asks for a preview; the bot posts the card with the vote buttons."""
    await slack.slash("carol", "aix-team", "/lku", "preview lpar01")
    return await slack.wait_for_message("aix-team", lambda m: "LU-17" in m.content)


async def test_slash_command_acks_replies_privately_and_posts_a_card(slack: SlackEmulator) -> None:
    async with lku_bot(slack) as seen:
        delivery = await slack.slash("carol", "#aix-team", "/lku", "preview lpar01")
        assert delivery.acked
        assert delivery.elapsed < 3.0
        card = await slack.wait_for_message("aix-team", lambda m: "LU-17" in m.content)
        reply = await slack.wait_for_ephemeral("carol", lambda e: "is open" in e.content)
    [command] = seen
    assert command["user_id"] == "U0CAROL01"
    assert command["response_url"].startswith(slack.base_url)
    # The ack's text and the response URL reply may land in either order, as in Slack.
    private = sorted(e.content for e in slack.state.ephemerals_for("carol"))
    assert private == ["Previewing lpar01...", "Request LU-17 is open."]
    assert reply.channel == "C0AIXTEAM"
    assert [e for e in slack.state.ephemerals if e.user != "U0CAROL01"] == []
    assert card.blocks[1]["elements"][0]["action_id"] == "approve"
    assert [r.outcome for r in slack.responses] == ["posted ephemeral"]


async def test_click_is_a_block_actions_payload_and_respond_replaces_the_card(
    slack: SlackEmulator,
) -> None:
    async with lku_bot(slack) as seen:
        card = await _request_card(slack)
        await slack.click("alice", card, "approve", value="LU-17")
        await slack.wait_for_message("aix-team", lambda m: "approved by <@U0ALICE01>" in m.text)
    body = seen[-1]
    assert body["type"] == "block_actions"
    assert body["user"]["id"] == "U0ALICE01"
    assert body["container"] == {
        "type": "message",
        "message_ts": card.ts,
        "channel_id": "C0AIXTEAM",
        "is_ephemeral": False,
    }
    assert body["message"]["ts"] == card.ts
    assert body["message"]["blocks"] == card.history[0].blocks
    [action] = body["actions"]
    assert (action["type"], action["action_id"], action["block_id"], action["value"]) == (
        "button",
        "approve",
        "votes",
        "LU-17",
    )
    assert body["trigger_id"]
    assert body["response_url"].startswith(slack.base_url)
    assert body["retry_num"] is None
    assert card.history[0].text == "LU-17 requested"  # edited in place, history kept


async def test_click_opens_a_modal_and_submission_answers_errors_then_closes(
    slack: SlackEmulator,
) -> None:
    async with lku_bot(slack) as seen:
        card = await _request_card(slack)
        await slack.click("bob", card, "reject")
        modal = await slack.wait_for_view("bob", lambda v: v.callback_id == "reject_reason")
        refused = await slack.submit_view("bob", modal.id, {"reason_text": "no"})
        assert refused.response_action == "errors"
        assert refused.ack is not None
        assert refused.ack["errors"] == {"reason": "Say a little more."}
        assert modal.is_open
        accepted = await slack.submit_view(
            "bob", modal.id, {"reason/reason_text": "not during month end"}
        )
        assert accepted.acked
        assert accepted.response_action is None
        await slack.wait_for_message(
            "aix-team", lambda m: "rejected: not during month end" in m.text
        )
    assert not modal.is_open
    submission = seen[-1]
    assert submission["type"] == "view_submission"
    assert submission["view"]["state"]["values"] == {
        "reason": {"reason_text": {"type": "plain_text_input", "value": "not during month end"}}
    }


async def test_closing_a_modal_notifies_the_bot_when_asked(slack: SlackEmulator) -> None:
    async with lku_bot(slack) as seen:
        card = await _request_card(slack)
        await slack.click("bob", card, "reject")
        modal = await slack.wait_for_view("bob")
        closed = await slack.close_view("bob", modal.id)
    assert closed is not None
    assert closed.acked
    assert seen[-1]["type"] == "view_closed"
    assert slack.state.open_views("bob") == {}


async def test_forged_or_stale_requests_are_rejected_and_nothing_happens(
    slack: SlackEmulator,
) -> None:
    async with lku_bot(slack) as seen:
        forged = await slack.slash(
            "carol", "aix-team", "/lku", "preview lpar01", DeliveryOptions(signature="forged")
        )
        stale = await slack.slash(
            "carol", "aix-team", "/lku", "preview lpar01", DeliveryOptions(timestamp=1_500_000_000)
        )
    assert (forged.status, stale.status) == (401, 401)
    assert not forged.acked
    assert forged.error == "dispatch_failed"
    assert seen == []
    assert slack.calls == []
    assert slack.state.channel_messages("aix-team") == []
    # All the user sees is Slack's own notice that the command failed.
    notices = slack.state.ephemerals_for("carol")
    assert [n.sender for n in notices] == ["USLACKBOT", "USLACKBOT"]
    assert notices[0].text == '/lku failed with the error "dispatch_failed"'


async def test_slack_retries_reach_the_bot_with_their_headers(slack: SlackEmulator) -> None:
    async with lku_bot(slack) as seen:
        card = await _request_card(slack)
        click = await slack.click("alice", card, "approve")
        await slack.deliver(
            click.interaction, DeliveryOptions(retry_num=1, retry_reason="http_timeout")
        )
    assert [b["retry_num"] for b in seen if b.get("type") == "block_actions"] == [None, "1"]


async def test_a_bot_that_misses_the_deadline_shows_operation_timeout() -> None:
    async with SlackEmulator.start(EmulatorConfig(ack_timeout=0.3)) as slack:
        app = bolt_app(slack)
        delivered = asyncio.Event()

        @app.command("/lku")
        async def slow(ack: AsyncAck) -> None:
            # Acknowledges only once Slack has given up: the emulator cannot have waited.
            await asyncio.wait_for(delivered.wait(), timeout=10)
            await ack()

        async with served(app) as url:
            slack.events_url = url
            try:
                delivery = await slack.slash("carol", "aix-team", "/lku", "list")
            finally:
                delivered.set()
        assert not delivery.acked
        assert delivery.error == "operation_timeout"
        assert delivery.elapsed >= 0.3
        [notice] = slack.state.ephemerals_for("carol")
        assert notice.text == '/lku failed with the error "operation_timeout"'
