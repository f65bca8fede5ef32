"""The page's JSON API and event stream: the workspace as one user sees it, and what that user
does delivered to the app exactly as the emulator's driver delivers it."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import EmulatorConfig, SlackEmulator
from sim.slack.config import ChannelSpec
from sim.slack.signing import sign
from sim.slack.web.options import PageOptions
from tests.slack_emulator.conftest import stub_bot

from .conftest import LPARS
from .dom import parse
from .samples import REASON_MODAL

CARD: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "LU-17: lpar01"}},
    {
        "type": "actions",
        "block_id": "votes",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "value": "LU-17",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Approve"},
            }
        ],
    },
]


def bot(slack: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)


async def get(http: aiohttp.ClientSession, path: str, status: int = 200) -> Any:
    async with http.get(path) as response:
        assert response.status == status, await response.text()
        return await response.json()


async def post(http: aiohttp.ClientSession, path: str, body: Any, status: int = 200) -> Any:
    async with http.post(path, json=body) as response:
        assert response.status == status, await response.text()
        return await response.json()


async def slash(
    http: aiohttp.ClientSession, user: str, channel: str, typed: str, status: int = 200
) -> Any:
    """`user` types `typed` (a command and its words) in `channel`."""
    command, _, text = typed.partition(" ")
    body = {"user": user, "channel": channel, "command": command, "text": text}
    return await post(http, "/page/api/slash", body, status)


# --- reading --------------------------------------------------------------------------------


async def test_the_workspace_names_people_the_bot_and_what_the_composer_completes(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    workspace = await get(http, "/page/api/workspace")
    assert [(u["name"], u["real_name"]) for u in workspace["users"]] == [
        ("carol", "Carol Requester"),
        ("alice", "Alice Approver"),
        ("bob", "Bob Approver"),
        ("dana", "Dana Admin"),
        ("oscar", "Oscar Outsider"),
    ]
    assert workspace["bot"] == {
        "id": "U0LKUBOT0",
        "name": "lkubot",
        "real_name": "lkubot",
        "is_admin": False,
        "is_bot": True,
    }
    assert workspace["completions"]["words"] == LPARS
    assert "approve" in workspace["completions"]["commands"]["/lku"]
    assert "preview" in workspace["completions"]["commands"]["/llu"]
    assert (workspace["default_channel"], workspace["default_user"]) == ("C0AIXTEAM", "U0CAROL01")


async def test_the_sidebar_lists_the_users_channels_and_only_members_read_private_ones() -> None:
    config = EmulatorConfig(
        channels=[
            ChannelSpec(id="C0AIXTEAM", name="aix-team"),
            ChannelSpec(id="G0ADMINS0", name="admins", is_private=True, members=["U0ADMIN01"]),
        ]
    )
    async with (
        SlackEmulator.start(config, page=PageOptions()) as slack,
        aiohttp.ClientSession(base_url=slack.base_url) as http,
    ):
        await bot(slack).chat_postMessage(channel="U0ADMIN01", text="Your lock on lpar01 expires")
        dana = await get(http, "/page/api/channels?user=dana")
        carol = await get(http, "/page/api/channels?user=carol")
        peeking = await get(http, "/page/api/channels/admins?user=carol", status=400)
    assert [(c["name"], c["is_private"], c["is_im"]) for c in dana["channels"]] == [
        ("admins", True, False),
        ("aix-team", False, False),
        ("lkubot", True, True),
    ]
    assert [c["name"] for c in carol["channels"]] == ["aix-team"]
    assert peeking["message"] == "#admins is private and carol is not in it."


async def test_a_channel_shows_drawn_messages_edits_threads_files_and_own_ephemerals(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    client = bot(slack)
    card = await client.chat_postMessage(channel="aix-team", text="LU-17", blocks=CARD)
    approved = [{"type": "section", "text": {"type": "mrkdwn", "text": "*LU-17* approved"}}]
    await client.chat_update(
        channel=card["channel"], ts=card["ts"], text="LU-17 approved", blocks=approved
    )
    await client.chat_postMessage(channel="aix-team", thread_ts=card["ts"], text="phase 1 of 25")
    await client.chat_postMessage(channel="aix-team", thread_ts=card["ts"], text="phase 2 of 25")
    await client.chat_postEphemeral(channel="aix-team", user="U0CAROL01", text="Previewing...")
    await client.chat_postEphemeral(channel="aix-team", user="U0ALICE01", text="For alice")
    await client.files_upload_v2(
        channel="C0AIXTEAM", filename="config.diff", content="--- a\n+++ b\n", title="config.diff"
    )

    seen = await get(http, "/page/api/channels/aix-team?user=carol")

    assert seen["is_member"]
    assert seen["older"] == 0
    kinds = [(i["kind"], i["author"]["name"]) for i in seen["items"]]
    assert kinds == [("message", "lkubot"), ("ephemeral", "lkubot"), ("message", "lkubot")]
    first, ephemeral, upload = seen["items"]
    assert parse(first["html"]).one("b").text == "LU-17"  # the edit, text only now
    assert first["edited_at"] is not None
    assert first["reply_count"] == 2
    assert first["last_reply_at"] is not None
    assert parse(ephemeral["html"]).text == "Previewing..."
    [shared] = upload["files"]
    assert (shared["title"], shared["size"], shared["uploaded"]) == ("config.diff", 12, True)
    async with http.get(shared["url"]) as response:
        assert await response.text() == "--- a\n+++ b\n"
        assert response.content_type == "text/plain"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert 'filename="config.diff"' in response.headers["Content-Disposition"]


async def test_a_long_channel_shows_its_newest_messages() -> None:
    options = PageOptions(history_limit=3)
    async with (
        SlackEmulator.start(EmulatorConfig(speed=1000), page=options) as slack,
        aiohttp.ClientSession(base_url=slack.base_url) as http,
    ):
        client = bot(slack)
        for n in range(5):
            await client.chat_postMessage(channel="test-ops", text=f"message {n}")
        seen = await get(http, "/page/api/channels/test-ops")
    assert [parse(i["html"]).text for i in seen["items"]] == [
        "message 2",
        "message 3",
        "message 4",
    ]
    assert seen["older"] == 2


async def test_a_thread_shows_its_parent_replies_and_own_ephemerals(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    client = bot(slack)
    card = await client.chat_postMessage(channel="aix-team", text="LU-17")
    await client.chat_postMessage(channel="aix-team", thread_ts=card["ts"], text="prep stage")
    await client.chat_postEphemeral(
        channel="aix-team", user="U0BOB0001", thread_ts=card["ts"], text="Only bob"
    )

    as_bob = await get(http, f"/page/api/channels/aix-team/threads/{card['ts']}?user=bob")
    as_carol = await get(http, f"/page/api/channels/aix-team/threads/{card['ts']}?user=carol")

    assert parse(as_bob["parent"]["html"]).text == "LU-17"
    assert [parse(r["html"]).text for r in as_bob["replies"]] == ["prep stage", "Only bob"]
    assert [r["kind"] for r in as_carol["replies"]] == ["message"]
    missing = await get(http, "/page/api/channels/aix-team/threads/1.000001", status=404)
    assert missing == {
        "ok": False,
        "message": "No message 1.000001 in #aix-team to show the thread of.",
    }


async def test_views_are_the_users_own_open_modals(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    opened = slack.state.open_view("U0BOB0001", REASON_MODAL)
    as_bob = await get(http, "/page/api/views?user=bob")
    as_alice = await get(http, "/page/api/views?user=alice")
    [view] = as_bob["views"]
    assert (view["id"], view["title"], view["submit"], view["close"]) == (
        opened.id,
        "Reject LU-1",
        "Reject",
        "Cancel",
    )
    assert parse(view["html"]).one("input").attrs["name"] == "reason/text"
    assert as_alice == {"views": []}


async def test_unknown_names_are_404_with_what_exists(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    missing = await get(http, "/page/api/channels/ops?user=carol", status=404)
    assert missing["message"].startswith("No channel 'ops' in the emulated workspace; it has")
    nobody = await get(http, "/page/api/views?user=mallory", status=404)
    assert nobody["message"].startswith("No user 'mallory'")


# --- acting ---------------------------------------------------------------------------------


async def test_a_slash_command_is_delivered_signed_as_the_current_user(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    async with stub_bot(slack) as stub:
        stub.reply = lambda _: web.json_response({"text": "Previewing lpar01..."})
        outcome = await slash(http, "alice", "prod-ops", "/lku preview lpar01")
    assert outcome == {"ok": True, "message": None, "errors": {}}
    [(body, headers)] = stub.received
    timestamp = headers["X-Slack-Request-Timestamp"]
    assert headers["X-Slack-Signature"] == sign(slack.credentials.signing_secret, timestamp, body)
    [payload] = stub.payloads
    assert (payload["user_id"], payload["channel_id"], payload["command"], payload["text"]) == (
        "U0ALICE01",
        "C0PRODOPS",
        "/lku",
        "preview lpar01",
    )
    [reply] = slack.state.ephemerals_for("alice")
    assert reply.text == "Previewing lpar01..."


async def test_a_command_the_app_did_not_register_is_refused(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    refused = await slash(http, "carol", "aix-team", "/deploy all", status=400)
    assert refused["message"] == "/deploy is not a valid command: the app registered /lku, /llu."
    assert not slack.deliveries


async def test_a_bot_too_slow_to_ack_is_reported() -> None:
    reported = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        # Answers only once the page has reported the timeout: the emulator cannot have waited.
        await asyncio.wait_for(reported.wait(), timeout=10)
        return web.Response()

    bot_app = web.Application()
    bot_app.router.add_post("/slack/events", slow)
    runner = web.AppRunner(bot_app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with (
            SlackEmulator.start(
                EmulatorConfig(ack_timeout=0.2),
                page=PageOptions(),
                events_url=f"http://{host}:{port}/slack/events",
            ) as slack,
            aiohttp.ClientSession(base_url=slack.base_url) as http,
        ):
            try:
                outcome = await slash(http, "carol", "aix-team", "/lku")
            finally:
                reported.set()
            [notice] = slack.state.ephemerals_for("carol")
    finally:
        await runner.cleanup()
    assert outcome["ok"] is False
    assert outcome["message"] == (
        "lkubot did not answer within 0.2 s, so Slack shows the user an error (operation_timeout)."
    )
    assert notice.text == '/lku failed with the error "operation_timeout"'


async def test_a_bot_that_is_not_there_is_reported(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    slack.events_url = f"{slack.base_url}/no-bot-here"
    outcome = await slash(http, "carol", "aix-team", "/lku")
    assert outcome["message"] == (
        "Slack could not deliver to lkubot (dispatch_failed, HTTP 404): is it running at the "
        "events URL the emulator was given?"
    )


async def test_messages_and_thread_replies_are_posted_as_the_user(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    await post(http, "/page/api/messages", {"user": "dana", "channel": "aix-team", "text": "hi"})
    [message] = slack.state.channel_messages("aix-team")
    await post(
        http,
        "/page/api/messages",
        {"user": "bob", "channel": "aix-team", "text": "on it", "thread_ts": message.ts},
    )
    [reply] = slack.state.thread("aix-team", message.ts)
    assert (message.user, reply.user, reply.text) == ("U0ADMIN01", "U0BOB0001", "on it")
    orphan = await post(
        http,
        "/page/api/messages",
        {"user": "bob", "channel": "aix-team", "text": "x", "thread_ts": reply.ts},
        status=400,
    )
    assert orphan["message"] == f"No message {reply.ts} in #aix-team to reply to."


async def test_a_user_outside_a_channel_cannot_write_there() -> None:
    config = EmulatorConfig(
        channels=[ChannelSpec(id="C0PRODOPS", name="prod-ops", members=["U0ALICE01"])]
    )
    async with (
        SlackEmulator.start(config, page=PageOptions(default_channel="prod-ops")) as slack,
        aiohttp.ClientSession(base_url=slack.base_url) as http,
    ):
        said = await post(
            http,
            "/page/api/messages",
            {"user": "oscar", "channel": "prod-ops", "text": "hello"},
            status=400,
        )
        typed = await slash(http, "oscar", "prod-ops", "/lku list", status=400)
    assert said["message"] == "oscar is not in #prod-ops, so cannot write there."
    assert typed["message"] == "oscar is not in #prod-ops, so cannot type there."


async def test_a_click_is_a_block_action_of_the_current_user(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    card = await bot(slack).chat_postMessage(channel="aix-team", text="LU-17", blocks=CARD)
    async with stub_bot(slack) as stub:
        clicked = await post(
            http,
            "/page/api/clicks",
            {"user": "bob", "source": card["ts"], "action_id": "approve", "value": "LU-17"},
        )
        wrong = await post(
            http,
            "/page/api/clicks",
            {"user": "bob", "source": card["ts"], "action_id": "launch"},
            status=400,
        )
    assert clicked["ok"] is True
    [payload] = stub.payloads
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U0BOB0001"
    assert payload["actions"][0]["value"] == "LU-17"
    assert payload["container"]["message_ts"] == card["ts"]
    assert wrong["message"].startswith("No element with action_id 'launch'")


async def test_a_modal_submission_shows_the_apps_errors_then_closes(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    opened = slack.state.open_view("U0BOB0001", REASON_MODAL)
    answers = iter(
        [
            web.json_response({"response_action": "errors", "errors": {"reason": "Say why."}}),
            web.Response(),
        ]
    )
    async with stub_bot(slack) as stub:
        stub.reply = lambda _: next(answers)
        path = f"/page/api/views/{opened.id}/submit"
        refused = await post(http, path, {"user": "bob", "values": {"reason/text": "no"}})
        accepted = await post(http, path, {"user": "bob", "values": {"reason/text": "not now"}})
    assert refused == {"ok": False, "message": None, "errors": {"reason": "Say why."}}
    assert accepted["ok"] is True
    submitted = stub.payloads[-1]["view"]["state"]["values"]
    assert submitted == {"reason": {"text": {"type": "plain_text_input", "value": "not now"}}}
    assert not slack.state.open_views("bob")


async def test_an_empty_required_input_is_not_submitted(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    opened = slack.state.open_view("U0BOB0001", REASON_MODAL)
    refused = await post(
        http,
        f"/page/api/views/{opened.id}/submit",
        {"user": "bob", "values": {"reason/text": None}},
        status=400,
    )
    assert "the required input 'Why?' (reason/text) is empty" in refused["message"]
    assert not slack.deliveries


async def test_closing_a_modal_tells_the_app_when_it_asked(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    opened = slack.state.open_view("U0BOB0001", REASON_MODAL)
    async with stub_bot(slack) as stub:
        closed = await post(http, f"/page/api/views/{opened.id}/close", {"user": "bob"})
        again = await post(http, f"/page/api/views/{opened.id}/close", {"user": "bob"}, status=404)
    assert closed["ok"] is True
    assert [p["type"] for p in stub.payloads] == ["view_closed"]
    assert again["message"].startswith(f"No open view {opened.id}")


async def test_requests_must_be_json_of_the_right_shape(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.post("/page/api/slash", data={"user": "carol"}) as response:
        assert response.status == 400
        assert (await response.json())["message"] == (
            "The page's API takes JSON (Content-Type: application/json)."
        )
    wrong = await slash(http, "carol", "aix-team", "lku", status=400)
    assert wrong["message"].startswith("The request is not what the page's API expects: command:")


# --- live updates ----------------------------------------------------------------------------


async def _events(response: aiohttp.ClientResponse, count: int) -> list[tuple[str, Any]]:
    """The next `count` events of a stream, with their JSON data."""
    found: list[tuple[str, Any]] = []
    name = ""
    async with asyncio.timeout(5):
        while len(found) < count:
            line = (await response.content.readline()).decode().rstrip("\n")
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                found.append((name, json.loads(line.removeprefix("data: "))))
    return found


async def test_the_stream_says_hello_then_what_the_user_may_see(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    client = bot(slack)
    async with http.get("/page/api/events?user=carol") as stream:
        assert stream.content_type == "text/event-stream"
        assert await _events(stream, 1) == [("hello", {})]
        await client.chat_postEphemeral(channel="aix-team", user="U0ALICE01", text="not carol's")
        posted = await client.chat_postMessage(channel="aix-team", text="LU-17")
        await client.chat_update(channel="aix-team", ts=posted["ts"], text="LU-17 approved")
        await client.chat_postEphemeral(channel="aix-team", user="U0CAROL01", text="carol's")
        changes = await _events(stream, 3)
    assert [(name, c["kind"]) for name, c in changes] == [
        ("change", "message_posted"),
        ("change", "message_changed"),
        ("change", "ephemeral_posted"),
    ]
    assert changes[0][1] == {"kind": "message_posted", "channel": "C0AIXTEAM", "ts": posted["ts"]}
    assert changes[2][1]["user"] == "U0CAROL01"


async def test_the_emulator_stops_promptly_with_a_page_still_listening() -> None:
    async with SlackEmulator.start(page=PageOptions()) as slack:
        session = aiohttp.ClientSession(base_url=slack.base_url)
        stream = await session.get("/page/api/events")
        assert await _events(stream, 1) == [("hello", {})]
        started = time.monotonic()
    stopped_in = time.monotonic() - started
    stream.close()
    await session.close()
    assert stopped_in < 1.5


# --- the page itself -------------------------------------------------------------------------


async def test_the_page_and_its_two_files_are_served(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.get("/") as response:
        assert response.content_type == "text/html"
        page = parse(await response.text())
    assert page.one("link").attrs["href"] == "/page/static/page.css"
    assert page.one("script").attrs["src"] == "/page/static/page.js"
    for element_id in ("user-switcher", "composer-input", "messages", "thread", "modal-dialog"):
        assert [e for e in page.all() if e.attrs.get("id") == element_id]
    for name, kind in (("page.js", "text/javascript"), ("page.css", "text/css")):
        async with http.get(f"/page/static/{name}") as response:
            assert (response.status, response.content_type) == (200, kind)
            assert len(await response.read()) > 1000
    async with http.get("/page/static/../server.py") as response:
        assert response.status == 404
    assert slack.page_url == f"{slack.base_url}/"


async def test_an_emulator_without_the_page_serves_none() -> None:
    async with (
        SlackEmulator.start() as slack,
        aiohttp.ClientSession(base_url=slack.base_url) as http,
        http.get("/") as response,
    ):
        assert response.status == 404
        assert slack.page_url is None
