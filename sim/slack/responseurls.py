"""The response URL sink: where a bot answers a slash command or a click.

A JSON POST to the URL Slack put in the payload. Without flags it is a new message, ephemeral
to the user unless `response_type` is `in_channel`. `replace_original` edits the message the
user clicked (or, for a slash command, the last reply sent through the same URL);
`delete_original` removes it. Slack's limits apply: 5 uses within 30 minutes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from sim.slack.config import EmulatorConfig
from sim.slack.errors import SlackApiError
from sim.slack.grants import Grants, ResponseTarget
from sim.slack.methods import Args, content_of
from sim.slack.workspace import Change, Workspace


class ResponsePost(BaseModel):
    """One POST the bot made to a response URL, and what it did to the workspace."""

    url: str
    body: dict[str, Any]
    at: datetime
    status: int
    outcome: str


class ResponseUrlSink:
    def __init__(
        self,
        config: EmulatorConfig,
        workspace: Workspace,
        grants: Grants,
        posts: list[ResponsePost],
        wall_clock: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.workspace = workspace
        self.grants = grants
        self.posts = posts
        self.wall_clock = wall_clock

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/hooks/{kind}/{team}/{serial}/{secret}", self.handle)]

    async def handle(self, request: web.Request) -> web.Response:
        token = f"{request.match_info['serial']}/{request.match_info['secret']}"
        try:
            body = json.loads(await request.text())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self._answer(request, {}, 400, "invalid_payload")
        try:
            target = self.grants.use_response_url(token)
        except SlackApiError as error:
            return self._answer(request, body, 404, error.error)
        try:
            outcome = self._apply(target, body)
        except SlackApiError as error:
            return self._answer(request, body, 400, error.error)
        return self._answer(request, body, 200, outcome)

    def _answer(
        self, request: web.Request, body: dict[str, Any], status: int, outcome: str
    ) -> web.Response:
        self.posts.append(
            ResponsePost(
                url=str(request.url),
                body=body,
                at=self.wall_clock(),
                status=status,
                outcome=outcome,
            )
        )
        self.workspace.feed.publish(Change(kind="call_recorded"))
        if status == 200:
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "error": outcome}, status=status)

    def _apply(self, target: ResponseTarget, body: dict[str, Any]) -> str:
        args = Args(body)
        if args.flag("delete_original"):
            return self._delete_original(target)
        text, blocks = content_of(args, require=True)
        if args.flag("replace_original"):
            replaced = self._replace_original(target, text, blocks)
            if replaced is not None:
                return replaced
        thread_ts = args.get("thread_ts") or target.thread_ts
        if body.get("response_type") == "in_channel":
            message = self.workspace.post(
                target.channel,
                user=self.config.bot_user_id,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
            )
            target.last_reply_ts, target.last_reply_ephemeral = message.ts, False
            return "posted in_channel"
        ephemeral = self.workspace.post_ephemeral(
            target.channel, user=target.user, text=text, blocks=blocks, thread_ts=thread_ts
        )
        target.last_reply_ts, target.last_reply_ephemeral = ephemeral.ts, True
        return "posted ephemeral"

    def _original(self, target: ResponseTarget) -> tuple[str | None, bool]:
        if target.kind == "action":
            return target.message_ts, target.is_ephemeral
        return target.last_reply_ts, target.last_reply_ephemeral

    def _replace_original(
        self, target: ResponseTarget, text: str, blocks: list[dict[str, Any]]
    ) -> str | None:
        ts, ephemeral = self._original(target)
        if ts is None:
            return None
        if ephemeral:
            found = self.workspace.find_ephemeral(ts)
            if found is None:
                raise SlackApiError("message_not_found")
            self.workspace.edit_ephemeral(found, text=text, blocks=blocks)
            return "replaced ephemeral"
        message = self.workspace.message(target.channel, ts)
        if message is None or message.deleted:
            raise SlackApiError("message_not_found")
        self.workspace.edit(message, text=text, blocks=blocks)
        return "replaced message"

    def _delete_original(self, target: ResponseTarget) -> str:
        ts, ephemeral = self._original(target)
        if ts is None:
            raise SlackApiError("message_not_found")
        if ephemeral:
            found = self.workspace.find_ephemeral(ts)
            if found is None:
                raise SlackApiError("message_not_found")
            self.workspace.delete_ephemeral(found)
            return "deleted ephemeral"
        message = self.workspace.message(target.channel, ts)
        if message is None or message.deleted:
            raise SlackApiError("message_not_found")
        self.workspace.delete(message)
        return "deleted message"
