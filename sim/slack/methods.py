"""The Web API methods a bot calls, with Slack's argument checks and error codes.

Each method takes its arguments (already merged from the query string and the form or JSON
body) and answers the body Slack would, or raises `SlackApiError`. Transport, tokens, rate
limits and the call record live in `webapi`.

Where Slack is lenient in a way that would hide a bot's bug, the emulator is stricter, and says
so here: a `thread_ts` that names no message is refused with `thread_not_found` (Slack would
post an orphan reply nobody sees).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sim.slack.blockkit import check_blocks, check_view, fill_ids
from sim.slack.config import EmulatorConfig
from sim.slack.errors import SlackApiError
from sim.slack.grants import Grants
from sim.slack.workspace import Channel, Message, OpenView, SharedFile, Workspace

MAX_TEXT = 40_000
MAX_VIEW_STACK = 3


class Args:
    """A call's arguments: strings from a form or query, or JSON values from a JSON body."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def require(self, name: str, error: str = "invalid_arguments") -> str:
        value = self.get(name)
        if value is None:
            raise SlackApiError(error, response_metadata={"messages": [f"[ERROR] missing {name}"]})
        return value

    def json(self, name: str, error: str) -> Any:
        """A JSON argument: a form sends it as a string, a JSON body as the value itself."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise SlackApiError(error) from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("1", "true")
        return bool(value)


Handler = Callable[["Methods", Args], dict[str, Any]]


@dataclass(frozen=True)
class MethodSpec:
    handler: Handler
    scope: str | None
    caller: Literal["bot", "app"] = "bot"


class Methods:
    """The implementations, over one workspace."""

    def __init__(
        self,
        config: EmulatorConfig,
        workspace: Workspace,
        grants: Grants,
        base_url: Callable[[], str],
        socket_url: Callable[[], str],
    ) -> None:
        self.config = config
        self.workspace = workspace
        self.grants = grants
        self.base_url = base_url
        self.socket_url = socket_url

    def call(self, method: str, args: Args, token_kind: str) -> dict[str, Any]:
        spec = METHODS.get(method)
        if spec is None:
            raise SlackApiError("unknown_method", req_method=method)
        if spec.caller != token_kind:
            raise SlackApiError("not_allowed_token_type")
        if spec.scope is not None:
            self.require_scope(spec.scope)
        return spec.handler(self, args)

    def require_scope(self, scope: str) -> None:
        granted = self.config.bot_scopes
        if granted is not None and scope not in granted:
            raise SlackApiError("missing_scope", needed=scope, provided=",".join(granted))

    # --- shared checks -------------------------------------------------------------------

    def _channel_to_post(self, args: Args) -> Channel:
        ref = args.require("channel", "channel_not_found")
        if ref[0] in "UW" and ref in self.workspace.users:
            return self.workspace.im_with(ref)
        channel = self.workspace.find_channel(ref)
        if channel is None:
            raise SlackApiError("channel_not_found")
        if not channel.bot_is_member:
            if channel.is_private:
                raise SlackApiError("channel_not_found")
            granted = self.config.bot_scopes
            if granted is not None and "chat:write.public" not in granted:
                raise SlackApiError("not_in_channel")
        return channel

    def _live_message(self, channel: Channel, ts: str) -> Message:
        message = self.workspace.message(channel.id, ts)
        if message is None or message.deleted:
            raise SlackApiError("message_not_found")
        return message

    def _existing_channel(self, args: Args) -> Channel:
        channel = self.workspace.find_channel(args.require("channel", "channel_not_found"))
        if channel is None or (channel.is_private and not channel.bot_is_member):
            raise SlackApiError("channel_not_found")
        return channel

    def _thread_root(self, channel: Channel, thread_ts: str | None) -> str | None:
        if thread_ts is None:
            return None
        parent = self.workspace.message(channel.id, thread_ts)
        if parent is None:
            raise SlackApiError("thread_not_found")
        # A reply to a reply joins the parent's thread, as in Slack.
        return parent.thread_ts if parent.is_reply else parent.ts

    # --- chat ----------------------------------------------------------------------------

    def chat_post_message(self, args: Args) -> dict[str, Any]:
        channel = self._channel_to_post(args)
        text, blocks = content_of(args, require=True)
        thread_ts = self._thread_root(channel, args.get("thread_ts"))
        message = self.workspace.post(
            channel.id, user=self.config.bot_user_id, text=text, blocks=blocks, thread_ts=thread_ts
        )
        return {"ok": True, "channel": channel.id, "ts": message.ts, "message": message.to_slack()}

    def chat_update(self, args: Args) -> dict[str, Any]:
        channel = self._existing_channel(args)
        message = self._live_message(channel, args.require("ts", "message_not_found"))
        if message.user != self.config.bot_user_id:
            raise SlackApiError("cant_update_message")
        given_text, given_blocks = (args.values.get(k) is not None for k in ("text", "blocks"))
        if not given_text and not given_blocks:
            raise SlackApiError("no_text")
        text, blocks = content_of(args, require=False)
        # A field left out keeps its value; an empty blocks array removes the blocks.
        new_text = text if given_text else message.text
        new_blocks = blocks if given_blocks else message.blocks
        self.workspace.edit(message, text=new_text, blocks=new_blocks)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": message.to_slack(),
        }

    def chat_delete(self, args: Args) -> dict[str, Any]:
        channel = self._existing_channel(args)
        message = self._live_message(channel, args.require("ts", "message_not_found"))
        if message.user != self.config.bot_user_id:
            raise SlackApiError("cant_delete_message")
        self.workspace.delete(message)
        return {"ok": True, "channel": channel.id, "ts": message.ts}

    def chat_post_ephemeral(self, args: Args) -> dict[str, Any]:
        channel = self._channel_to_post(args)
        user_id = args.require("user", "user_not_found")
        if user_id not in self.workspace.users:
            raise SlackApiError("user_not_found")
        if user_id not in channel.members:
            raise SlackApiError("user_not_in_channel")
        text, blocks = content_of(args, require=True)
        thread_ts = self._thread_root(channel, args.get("thread_ts"))
        ephemeral = self.workspace.post_ephemeral(
            channel.id, user=user_id, text=text, blocks=blocks, thread_ts=thread_ts
        )
        return {"ok": True, "message_ts": ephemeral.ts}

    def chat_get_permalink(self, args: Args) -> dict[str, Any]:
        channel = self._existing_channel(args)
        message = self._live_message(channel, args.require("message_ts", "message_not_found"))
        link = f"{self.base_url()}/archives/{channel.id}/p{message.ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"ok": True, "channel": channel.id, "permalink": link}

    # --- views ---------------------------------------------------------------------------

    def views_open(self, args: Args) -> dict[str, Any]:
        view = view_of(args)
        user, _ = self.grants.redeem_trigger(args.require("trigger_id"))
        opened = self.workspace.open_view(user, view)
        return {"ok": True, "view": opened.view}

    def views_push(self, args: Args) -> dict[str, Any]:
        view = view_of(args)
        user, source_view = self.grants.redeem_trigger(args.require("trigger_id"))
        if source_view is None or source_view not in self.workspace.open_views():
            raise SlackApiError("invalid_trigger_id")
        previous = self.workspace.views[source_view]
        stack = [
            v
            for v in self.workspace.open_views(user).values()
            if v.view["root_view_id"] == previous.view["root_view_id"]
        ]
        if len(stack) >= MAX_VIEW_STACK:
            raise SlackApiError("push_limit_reached")
        opened = self.workspace.open_view(user, view, previous=previous)
        return {"ok": True, "view": opened.view}

    def views_update(self, args: Args) -> dict[str, Any]:
        view = view_of(args)
        opened = self._view_to_update(args)
        expected = args.get("hash")
        if expected is not None and expected != opened.view["hash"]:
            raise SlackApiError("hash_conflict")
        self.workspace.update_view(opened, view)
        return {"ok": True, "view": opened.view}

    def _view_to_update(self, args: Args) -> OpenView:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if view_id is None and external_id is None:
            raise SlackApiError("invalid_arguments")
        if view_id is not None:
            opened = self.workspace.open_views().get(view_id)
        else:
            opened = self.workspace.find_view_by_external_id(str(external_id))
        if opened is None:
            raise SlackApiError("not_found")
        return opened

    # --- files ---------------------------------------------------------------------------

    def files_get_upload_url_external(self, args: Args) -> dict[str, Any]:
        filename = args.require("filename")
        length = args.require("length")
        if not length.isdigit():
            raise SlackApiError("invalid_arguments")
        file_id = self.workspace.new_id("F")
        self.workspace.files[file_id] = SharedFile(
            id=file_id, name=filename, title=filename, length=int(length)
        )
        return {
            "ok": True,
            "upload_url": f"{self.base_url()}/upload/v1/{file_id}",
            "file_id": file_id,
        }

    def files_complete_upload_external(self, args: Args) -> dict[str, Any]:
        listed = args.json("files", "invalid_arguments")
        if not isinstance(listed, list) or not listed:
            raise SlackApiError("invalid_arguments")
        files = []
        for item in listed:
            if not isinstance(item, dict):
                raise SlackApiError("invalid_arguments")
            stored = self.workspace.files.get(str(item.get("id")))
            if stored is None or stored.content is None:
                raise SlackApiError("file_not_found")
            stored.title = str(item.get("title") or stored.name)
            files.append(stored)
        targets = [c for c in (args.get("channels") or "").split(",") if c]
        if args.get("channel_id") is not None:
            targets.insert(0, str(args.get("channel_id")))
        for ref in targets:
            channel = self._channel_to_post(Args({"channel": ref}))
            thread_ts = self._thread_root(channel, args.get("thread_ts"))
            message = self.workspace.post(
                channel.id,
                user=self.config.bot_user_id,
                text=args.get("initial_comment") or "",
                blocks=[],
                thread_ts=thread_ts,
                files=[f.id for f in files],
            )
            for shared in files:
                shared.channels.append(channel.id)
                shared.message_ts = message.ts
        return {"ok": True, "files": [f.to_slack() for f in files]}

    # --- people and places ---------------------------------------------------------------

    def users_info(self, args: Args) -> dict[str, Any]:
        user = self.workspace.users.get(args.require("user", "user_not_found"))
        if user is None:
            raise SlackApiError("user_not_found")
        return {
            "ok": True,
            "user": {
                "id": user.id,
                "team_id": self.config.team_id,
                "name": user.name,
                "deleted": False,
                "real_name": user.real_name,
                "tz": user.tz,
                "is_admin": user.is_admin,
                "is_owner": False,
                "is_bot": False,
                "is_app_user": False,
                "profile": {
                    "real_name": user.real_name,
                    "display_name": user.name,
                    "real_name_normalized": user.real_name,
                    "display_name_normalized": user.name,
                    "team": self.config.team_id,
                },
            },
        }

    def usergroups_users_list(self, args: Args) -> dict[str, Any]:
        members = self.workspace.usergroup_members(args.require("usergroup", "no_such_subteam"))
        if members is None:
            raise SlackApiError("no_such_subteam")
        return {"ok": True, "users": members}

    def conversations_info(self, args: Args) -> dict[str, Any]:
        channel = self._existing_channel(args)
        self.require_scope(
            "im:read" if channel.is_im else "groups:read" if channel.is_private else "channels:read"
        )
        return {
            "ok": True,
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "name_normalized": channel.name,
                "is_channel": not channel.is_private and not channel.is_im,
                "is_group": channel.is_private and not channel.is_im,
                "is_im": channel.is_im,
                "is_private": channel.is_private,
                "is_archived": False,
                "is_member": channel.bot_is_member,
                "num_members": len(channel.members),
                "context_team_id": self.config.team_id,
            },
        }

    def auth_test(self, args: Args) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.config.team_domain}.slack.com/",
            "team": self.config.team_name,
            "user": self.config.bot_name,
            "team_id": self.config.team_id,
            "user_id": self.config.bot_user_id,
            "bot_id": self.config.bot_id,
            "is_enterprise_install": False,
        }

    def apps_connections_open(self, args: Args) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_url()}


def content_of(args: Args, *, require: bool) -> tuple[str, list[dict[str, Any]]]:
    """A message's text and blocks, checked like Slack checks them."""
    text = args.get("text") or ""
    raw_blocks = args.json("blocks", "invalid_blocks_format")
    if raw_blocks is not None and not isinstance(raw_blocks, list):
        raise SlackApiError("invalid_blocks_format")
    blocks: list[dict[str, Any]] = raw_blocks or []
    if require and not text and not blocks and args.get("attachments") is None:
        raise SlackApiError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackApiError("msg_too_long")
    problems = check_blocks(blocks)
    if problems:
        raise SlackApiError(
            "invalid_blocks",
            errors=problems,
            response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
        )
    return text, fill_ids(blocks)


def view_of(args: Args) -> dict[str, Any]:
    view = args.json("view", "invalid_arguments")
    if view is None:
        raise SlackApiError(
            "invalid_arguments", response_metadata={"messages": ["[ERROR] missing view"]}
        )
    problems = check_view(view)
    if problems:
        raise SlackApiError(
            "invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]}
        )
    return {**view, "blocks": fill_ids(view.get("blocks", []))}


METHODS: dict[str, MethodSpec] = {
    "auth.test": MethodSpec(Methods.auth_test, None),
    "chat.postMessage": MethodSpec(Methods.chat_post_message, "chat:write"),
    "chat.update": MethodSpec(Methods.chat_update, "chat:write"),
    "chat.delete": MethodSpec(Methods.chat_delete, "chat:write"),
    "chat.postEphemeral": MethodSpec(Methods.chat_post_ephemeral, "chat:write"),
    "chat.getPermalink": MethodSpec(Methods.chat_get_permalink, None),
    "views.open": MethodSpec(Methods.views_open, None),
    "views.push": MethodSpec(Methods.views_push, None),
    "views.update": MethodSpec(Methods.views_update, None),
    "files.getUploadURLExternal": MethodSpec(Methods.files_get_upload_url_external, "files:write"),
    "files.completeUploadExternal": MethodSpec(
        Methods.files_complete_upload_external, "files:write"
    ),
    "users.info": MethodSpec(Methods.users_info, "users:read"),
    "usergroups.users.list": MethodSpec(Methods.usergroups_users_list, "usergroups:read"),
    "conversations.info": MethodSpec(Methods.conversations_info, None),
    "apps.connections.open": MethodSpec(Methods.apps_connections_open, None, caller="app"),
}
