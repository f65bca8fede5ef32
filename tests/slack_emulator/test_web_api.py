"""The Web API as slack_sdk's AsyncWebClient sees it: Slack's answers, errors and side effects."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import EmulatorConfig, SlackEmulator

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*LU-17* lpar01"}}


async def _error_of(call: object) -> str:
    with pytest.raises(SlackApiError) as raised:
        await call  # type: ignore[misc]
    return str(raised.value.response["error"])


async def test_auth_test_names_the_bot(slack: SlackEmulator, client: AsyncWebClient) -> None:
    answer = await client.auth_test()
    assert answer["user_id"] == slack.config.bot_user_id
    assert answer["bot_id"] == slack.config.bot_id
    assert answer["team_id"] == slack.config.team_id


async def test_tokens_are_checked_like_slack(slack: SlackEmulator) -> None:
    anonymous = AsyncWebClient(base_url=slack.api_url)
    assert await _error_of(anonymous.auth_test()) == "not_authed"
    wrong = AsyncWebClient(token="xoxb-someone-else", base_url=slack.api_url)
    assert await _error_of(wrong.auth_test()) == "invalid_auth"
    app_level = AsyncWebClient(token=slack.credentials.app_token, base_url=slack.api_url)
    assert await _error_of(app_level.chat_postMessage(channel="C0AIXTEAM", text="x")) == (
        "not_allowed_token_type"
    )
    bot = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
    assert await _error_of(bot.apps_connections_open(app_token=slack.credentials.bot_token)) == (
        "not_allowed_token_type"
    )


async def test_post_message_stores_blocks_with_generated_block_ids(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    answer = await client.chat_postMessage(channel="#aix-team", text="LU-17", blocks=[SECTION])
    assert answer["channel"] == "C0AIXTEAM"
    stored = slack.state.find_message(answer["ts"])
    assert stored.text == "LU-17"
    assert stored.blocks[0]["block_id"]  # Slack fills in block ids the app left out
    assert answer["message"]["blocks"] == stored.blocks
    assert answer["message"]["bot_id"] == slack.config.bot_id
    assert slack.state.channel_messages("aix-team") == [stored]


async def test_thread_replies_join_the_parent_thread(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel="C0AIXTEAM", text="card")
    reply = await client.chat_postMessage(channel="C0AIXTEAM", text="prep", thread_ts=parent["ts"])
    nested = await client.chat_postMessage(channel="C0AIXTEAM", text="post", thread_ts=reply["ts"])
    thread = slack.state.thread("C0AIXTEAM", parent["ts"])
    assert [m.ts for m in thread] == [reply["ts"], nested["ts"]]
    assert [m.text for m in slack.state.channel_messages("C0AIXTEAM")] == ["card"]
    error = await _error_of(
        client.chat_postMessage(channel="C0AIXTEAM", text="x", thread_ts="1.000001")
    )
    assert error == "thread_not_found"


async def test_update_keeps_the_history_of_edits(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(
        channel="C0AIXTEAM", text="phase 1 of 9", blocks=[SECTION]
    )
    await client.chat_update(channel="C0AIXTEAM", ts=posted["ts"], text="phase 2 of 9")
    updated = await client.chat_update(
        channel="C0AIXTEAM", ts=posted["ts"], text="phase 3 of 9", blocks=[]
    )
    message = slack.state.find_message(posted["ts"])
    assert [v.text for v in message.history] == ["phase 1 of 9", "phase 2 of 9"]
    assert message.history[1].blocks == message.history[0].blocks  # left out: kept
    assert message.blocks == []  # an empty array removes them
    assert updated["message"]["edited"]["user"] == slack.config.bot_user_id
    with pytest.raises(SlackApiError) as raised:
        await client.api_call("chat.update", json={"channel": "C0AIXTEAM", "ts": posted["ts"]})
    assert raised.value.response["error"] == "no_text"


async def test_update_and_delete_errors(slack: SlackEmulator, client: AsyncWebClient) -> None:
    assert await _error_of(client.chat_update(channel="C0AIXTEAM", ts="1.000001", text="x")) == (
        "message_not_found"
    )
    assert await _error_of(client.chat_update(channel="C0NOWHERE", ts="1.000001", text="x")) == (
        "channel_not_found"
    )
    posted = await client.chat_postMessage(channel="C0AIXTEAM", text="gone soon")
    await client.chat_delete(channel="C0AIXTEAM", ts=posted["ts"])
    assert slack.state.channel_messages("C0AIXTEAM") == []
    assert await _error_of(client.chat_update(channel="C0AIXTEAM", ts=posted["ts"], text="x")) == (
        "message_not_found"
    )


async def test_message_text_limits(slack: SlackEmulator, client: AsyncWebClient) -> None:
    with pytest.warns(UserWarning, match="text"):  # slack_sdk warns too
        assert await _error_of(client.chat_postMessage(channel="C0AIXTEAM", text="")) == "no_text"
    too_long = "x" * 40_001
    assert await _error_of(client.chat_postMessage(channel="C0AIXTEAM", text=too_long)) == (
        "msg_too_long"
    )
    await client.chat_postMessage(channel="C0AIXTEAM", text="x" * 40_000)


async def test_channels_the_bot_cannot_post_to(client: AsyncWebClient) -> None:
    assert await _error_of(client.chat_postMessage(channel="C0NOWHERE", text="x")) == (
        "channel_not_found"
    )
    # #random is public and the bot is not in it: chat:write.public lets it post anyway.
    await client.chat_postMessage(channel="#random", text="x")


async def test_scopes_are_enforced_when_configured() -> None:
    config = EmulatorConfig(bot_scopes=["chat:write", "users:read"])
    async with SlackEmulator.start(config) as slack:
        client = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
        with pytest.raises(SlackApiError) as raised:
            await client.usergroups_users_list(usergroup="S0AIXAPPR")
        assert raised.value.response["error"] == "missing_scope"
        assert raised.value.response["needed"] == "usergroups:read"
        assert await _error_of(client.chat_postMessage(channel="#random", text="x")) == (
            "not_in_channel"
        )
        await client.users_info(user="U0ALICE01")


async def test_ephemeral_messages_reach_only_their_user(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    answer = await client.chat_postEphemeral(channel="C0AIXTEAM", user="U0OSCAR01", text="Not you.")
    [seen] = slack.state.ephemerals_for("oscar")
    assert seen.ts == answer["message_ts"]
    assert seen.content == "Not you."
    assert slack.state.ephemerals_for("alice") == []
    assert slack.state.channel_messages("C0AIXTEAM") == []
    assert (
        await _error_of(client.chat_postEphemeral(channel="C0AIXTEAM", user="U0NOBODY1", text="x"))
        == "user_not_found"
    )


async def test_ephemeral_refused_for_users_outside_the_channel() -> None:
    config = EmulatorConfig.model_validate(
        {
            "channels": [
                {
                    "id": "C0PRIVATE",
                    "name": "aix-private",
                    "is_private": True,
                    "members": ["U0ALICE01"],
                }
            ]
        }
    )
    async with SlackEmulator.start(config) as slack:
        client = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postEphemeral(channel="C0PRIVATE", user="U0BOB0001", text="x")
        assert raised.value.response["error"] == "user_not_in_channel"


async def test_permalinks(slack: SlackEmulator, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C0AIXTEAM", text="card")
    reply = await client.chat_postMessage(channel="C0AIXTEAM", text="r", thread_ts=parent["ts"])
    link = await client.chat_getPermalink(channel="C0AIXTEAM", message_ts=parent["ts"])
    assert link["permalink"].endswith("/archives/C0AIXTEAM/p" + parent["ts"].replace(".", ""))
    in_thread = await client.chat_getPermalink(channel="C0AIXTEAM", message_ts=reply["ts"])
    assert f"thread_ts={parent['ts']}" in in_thread["permalink"]
    assert await _error_of(client.chat_getPermalink(channel="C0AIXTEAM", message_ts="1.1")) == (
        "message_not_found"
    )


async def test_people_groups_and_channels(client: AsyncWebClient) -> None:
    alice = await client.users_info(user="U0ALICE01")
    assert alice["user"]["name"] == "alice"
    assert alice["user"]["real_name"] == "Alice Approver"
    approvers = await client.usergroups_users_list(usergroup="S0AIXAPPR")
    assert approvers["users"] == ["U0ALICE01", "U0BOB0001"]
    assert await _error_of(client.usergroups_users_list(usergroup="S0NOTHING")) == "no_such_subteam"
    assert await _error_of(client.users_info(user="U0NOBODY1")) == "user_not_found"
    info = await client.conversations_info(channel="C0PRODOPS")
    assert info["channel"]["name"] == "prod-ops"
    assert info["channel"]["is_member"] is True


async def test_files_upload_v2_shares_the_file_in_the_thread(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    diff = "--- /etc/inittab\n+++ /etc/inittab\n" + "+x\n" * 500
    card = await client.chat_postMessage(channel="C0AIXTEAM", text="LU-17 finished")
    answer = await client.files_upload_v2(
        channel="C0AIXTEAM",
        thread_ts=card["ts"],
        content=diff,
        filename="config.diff",
        title="config.diff of lpar01",
        initial_comment="Full config.diff",
    )
    file_id = answer["file"]["id"]
    stored = slack.state.files[file_id]
    assert stored.content == diff.encode()
    assert stored.title == "config.diff of lpar01"
    [shared] = slack.state.thread("C0AIXTEAM", card["ts"])
    assert shared.files == [file_id]
    assert shared.text == "Full config.diff"
    assert [c.method for c in slack.calls[-3:]] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_form_json_and_query_arguments_are_all_accepted(slack: SlackEmulator) -> None:
    url = slack.api_url + "chat.postMessage"
    auth = {"Authorization": f"Bearer {slack.credentials.bot_token}"}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, data={"channel": "C0AIXTEAM", "text": "form", "token": slack.credentials.bot_token}
        ) as reply:
            assert (await reply.json())["ok"] is True
        async with session.post(
            url, json={"channel": "C0AIXTEAM", "text": "json"}, headers=auth
        ) as reply:
            assert (await reply.json())["ok"] is True
        async with session.get(
            slack.api_url + "users.info", params={"user": "U0BOB0001"}, headers=auth
        ) as reply:
            assert (await reply.json())["user"]["name"] == "bob"
        async with session.post(slack.api_url + "chat.nonsense", headers=auth) as reply:
            assert (await reply.json())["error"] == "unknown_method"
    assert [m.text for m in slack.state.channel_messages("C0AIXTEAM")] == ["form", "json"]
    assert "token" not in slack.calls_to("chat.postMessage")[0].args


async def test_every_call_is_recorded_with_its_answer(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="C0AIXTEAM", text="hello")
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C0NOWHERE", text="hello")
    ok, failed = slack.calls_to("chat.postMessage")
    assert ok.ok
    assert ok.args == {"channel": "C0AIXTEAM", "text": "hello"}
    assert not failed.ok
    assert failed.error == "channel_not_found"
    assert ok.at <= failed.at
