"""Modals: trigger ids, views.open/update/push, and what submissions send and do."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import EmulatorConfig, SlackEmulator
from sim.slack.errors import ElementNotFound, RequiredInputMissing

from .conftest import stub_bot


def _modal(callback_id: str = "launch_options", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": "Launch LU-17"},
        "submit": {"type": "plain_text", "text": "Launch"},
        "private_metadata": "LU-17",
        "blocks": [
            {
                "type": "input",
                "block_id": "window",
                "label": {"type": "plain_text", "text": "Change window"},
                "element": {
                    "type": "static_select",
                    "action_id": "window",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Tonight"}, "value": "tonight"},
                        {"text": {"type": "plain_text", "text": "Weekend"}, "value": "weekend"},
                    ],
                    "initial_option": {
                        "text": {"type": "plain_text", "text": "Weekend"},
                        "value": "weekend",
                    },
                },
            },
            {
                "type": "input",
                "block_id": "reason",
                "optional": True,
                "label": {"type": "plain_text", "text": "Override reason"},
                "element": {"type": "plain_text_input", "action_id": "reason"},
            },
            {
                "type": "input",
                "block_id": "ticket",
                "label": {"type": "plain_text", "text": "Change ticket"},
                "element": {"type": "plain_text_input", "action_id": "ticket"},
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "More"},
                        "action_id": "more",
                    }
                ],
            },
        ],
        **extra,
    }


async def _trigger(slack: SlackEmulator, user: str = "carol") -> str:
    async with stub_bot(slack) as bot:
        await slack.slash(user, "aix-team", "/lku", "launch LU-17")
    return str(bot.payloads[-1]["trigger_id"])


async def test_a_trigger_opens_one_modal_for_its_user(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    trigger = await _trigger(slack)
    opened = await client.views_open(trigger_id=trigger, view=_modal())
    view = opened["view"]
    assert view["id"] in slack.state.open_views("carol")
    assert view["root_view_id"] == view["id"]
    assert view["private_metadata"] == "LU-17"
    assert view["blocks"][3]["block_id"]  # generated, as Slack does
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id=trigger, view=_modal())
    assert raised.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id="123.456.abc", view=_modal())
    assert raised.value.response["error"] == "invalid_trigger_id"


async def test_triggers_expire() -> None:
    ttl = 0.05
    async with SlackEmulator.start(EmulatorConfig(trigger_ttl=ttl)) as slack:
        client = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
        loop = asyncio.get_running_loop()
        trigger = await _trigger(slack)
        issued_by = loop.time()
        # The emulator times triggers on this loop's clock: wait until this one is past due.
        async with asyncio.timeout(5):
            while loop.time() <= issued_by + ttl:  # noqa: ASYNC110 (the condition is time)
                await asyncio.sleep(ttl / 5)
        with pytest.raises(SlackApiError) as raised:
            await client.views_open(trigger_id=trigger, view=_modal())
        assert raised.value.response["error"] == "expired_trigger_id"


async def test_invalid_views_are_refused(slack: SlackEmulator, client: AsyncWebClient) -> None:
    no_submit = {k: v for k, v in _modal().items() if k != "submit"}
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id=await _trigger(slack), view=no_submit)
    assert raised.value.response["error"] == "invalid_arguments"
    assert "submit" in raised.value.response["response_metadata"]["messages"][0]


async def test_update_by_id_or_external_id_and_hash_conflicts(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    opened = await client.views_open(
        trigger_id=await _trigger(slack), view=_modal(external_id="lu-17-launch")
    )
    view_id, first_hash = opened["view"]["id"], opened["view"]["hash"]
    updated = await client.views_update(
        view_id=view_id, hash=first_hash, view=_modal(private_metadata="v2")
    )
    assert updated["view"]["private_metadata"] == "v2"
    assert updated["view"]["hash"] != first_hash
    with pytest.raises(SlackApiError) as raised:
        await client.views_update(view_id=view_id, hash=first_hash, view=_modal())
    assert raised.value.response["error"] == "hash_conflict"
    await client.views_update(external_id="lu-17-launch", view=_modal(private_metadata="v3"))
    assert slack.state.view(view_id).view["private_metadata"] == "v3"
    with pytest.raises(SlackApiError) as raised:
        await client.views_update(view_id="V0NOTHERE", view=_modal())
    assert raised.value.response["error"] == "not_found"


async def test_a_click_inside_a_modal_can_push_up_to_three_views(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    root = (await client.views_open(trigger_id=await _trigger(slack), view=_modal()))["view"]
    current = root
    async with stub_bot(slack) as bot:
        for _ in range(2):
            await slack.click("carol", current["id"], "more")
            assert bot.payloads[-1]["container"] == {"type": "view", "view_id": current["id"]}
            current = (
                await client.views_push(trigger_id=bot.payloads[-1]["trigger_id"], view=_modal())
            )["view"]
            assert current["root_view_id"] == root["id"]
        await slack.click("carol", current["id"], "more")
    with pytest.raises(SlackApiError) as raised:
        await client.views_push(trigger_id=bot.payloads[-1]["trigger_id"], view=_modal())
    assert raised.value.response["error"] == "push_limit_reached"
    assert len(slack.state.open_views("carol")) == 3


async def test_submission_sends_every_input_with_initial_values(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    view = (await client.views_open(trigger_id=await _trigger(slack), view=_modal()))["view"]
    async with stub_bot(slack) as bot:
        delivery = await slack.submit_view("carol", view["id"], {"ticket": "CHG0042"})
    assert delivery.acked
    submitted = bot.payloads[-1]
    assert submitted["type"] == "view_submission"
    assert submitted["user"]["id"] == "U0CAROL01"
    assert submitted["view"]["private_metadata"] == "LU-17"
    values = submitted["view"]["state"]["values"]
    assert values["window"]["window"]["selected_option"]["value"] == "weekend"
    assert values["reason"]["reason"] == {"type": "plain_text_input", "value": None}
    assert values["ticket"]["ticket"] == {"type": "plain_text_input", "value": "CHG0042"}
    assert slack.state.open_views("carol") == {}  # an empty ack closes the modal


async def test_slack_refuses_to_submit_an_empty_required_input(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    view = (await client.views_open(trigger_id=await _trigger(slack), view=_modal()))["view"]
    with pytest.raises(RequiredInputMissing, match="'Change ticket'"):
        await slack.submit_view("carol", view["id"], {"window": "tonight"})
    with pytest.raises(ElementNotFound, match="no input"):
        await slack.submit_view("carol", view["id"], {"ticket": "CHG1", "colour": "red"})
    with pytest.raises(ElementNotFound, match="no option 'never'"):
        await slack.submit_view("carol", view["id"], {"ticket": "CHG1", "window": "never"})


@pytest.mark.parametrize("action", ["update", "push", "clear"])
async def test_response_actions_change_the_modal(
    slack: SlackEmulator, client: AsyncWebClient, action: str
) -> None:
    view = (await client.views_open(trigger_id=await _trigger(slack), view=_modal()))["view"]
    follow_up = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Launching"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "LU-17 started."}}],
    }
    async with stub_bot(slack) as bot:
        body = {"response_action": action} | ({} if action == "clear" else {"view": follow_up})
        bot.reply = lambda _: web.json_response(body)
        delivery = await slack.submit_view("carol", view["id"], {"ticket": "CHG0042"})
    assert delivery.response_action == action
    shown = [v.view["title"]["text"] for v in slack.state.open_views("carol").values()]
    expected = {"update": ["Launching"], "push": ["Launch LU-17", "Launching"], "clear": []}
    assert shown == expected[action]


async def test_a_response_action_with_a_bad_view_is_an_error(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    view = (await client.views_open(trigger_id=await _trigger(slack), view=_modal()))["view"]
    async with stub_bot(slack) as bot:
        bot.reply = lambda _: web.Response(
            text=json.dumps({"response_action": "update", "view": {"type": "modal"}}),
            content_type="application/json",
        )
        delivery = await slack.submit_view("carol", view["id"], {"ticket": "CHG0042"})
    assert delivery.error == "invalid_arguments"
    assert view["id"] in slack.state.open_views("carol")
