"""The emulated workspace's state: people, channels, messages and their threads and edits,
ephemeral messages per user, files and modal views, with a feed of every change.

Everything here is plain data (pydantic records) plus the few mutations Slack performs, so a
test can read it directly and a browser page can serialise it (`model_dump(mode="json")`) and
follow `feed` to redraw what changed. Nothing here speaks HTTP.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from sim.slack.blockkit import text_of
from sim.slack.clock import utc_now
from sim.slack.config import ChannelSpec, EmulatorConfig, UserGroupSpec, UserSpec
from sim.slack.errors import UnknownChannel, UnknownMessage, UnknownUser, UnknownView

SLACKBOT = "USLACKBOT"

ChangeKind = Literal[
    "message_posted",
    "message_changed",
    "message_deleted",
    "ephemeral_posted",
    "ephemeral_changed",
    "ephemeral_deleted",
    "view_opened",
    "view_updated",
    "view_closed",
    "call_recorded",
]


class Change(BaseModel):
    """One change to the workspace, enough for a page to know what to redraw."""

    kind: ChangeKind
    channel: str | None = None
    ts: str | None = None
    user: str | None = None
    view_id: str | None = None


class Channel(BaseModel):
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    members: list[str]
    bot_is_member: bool = True


class Version(BaseModel):
    """What a message said before an edit."""

    text: str
    blocks: list[dict[str, Any]]
    at: datetime


class _Content(BaseModel):
    text: str = ""
    blocks: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def content(self) -> str:
        """The fallback text and every text in the blocks, to assert on."""
        return "\n".join(part for part in (self.text, text_of(self.blocks)) if part)


class Message(_Content):
    channel: str
    ts: str
    user: str
    thread_ts: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    team: str | None = None
    files: list[str] = Field(default_factory=list)
    posted_at: datetime
    edited_at: datetime | None = None
    history: list[Version] = Field(
        default_factory=list, description="earlier versions, oldest first"
    )
    deleted: bool = False

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_slack(self) -> dict[str, Any]:
        """The message as Slack returns it to the app (chat.postMessage, block_actions)."""
        body: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text}
        body["ts"] = self.ts
        if self.blocks:
            body["blocks"] = self.blocks
        for key in ("bot_id", "app_id", "team", "thread_ts"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        if self.edited_at is not None:
            body["edited"] = {"user": self.user, "ts": _ts_of(self.edited_at)}
        if self.files:
            body["files"] = [{"id": f} for f in self.files]
        return body


class Ephemeral(_Content):
    """A message only `user` sees, until they reload (here: until deleted or replaced)."""

    channel: str
    ts: str
    user: str = Field(description="who sees it")
    sender: str = Field(description="the bot's user id, or USLACKBOT for Slack's own notices")
    thread_ts: str | None = None
    posted_at: datetime
    history: list[Version] = Field(default_factory=list)
    deleted: bool = False


class SharedFile(BaseModel):
    id: str
    name: str
    title: str
    length: int = Field(description="the length announced by files.getUploadURLExternal")
    content: bytes | None = Field(default=None, description="what was uploaded, once it was")
    channels: list[str] = Field(default_factory=list)
    message_ts: str | None = None

    def to_slack(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "size": len(self.content or b""),
            "mimetype": "text/plain",
            "channels": self.channels,
        }


class OpenView(BaseModel):
    """A modal shown to `user`; `view` is the JSON Slack keeps and sends back to the app."""

    id: str
    user: str
    view: dict[str, Any]
    is_open: bool = True

    @property
    def callback_id(self) -> str:
        return str(self.view.get("callback_id", ""))


class ChangeFeed:
    """Fan-out of changes to whoever listens: waiting helpers now, a live page later."""

    def __init__(self, capacity: int = 1000) -> None:
        self._capacity = capacity
        self._queues: set[asyncio.Queue[Change]] = set()

    def publish(self, change: Change) -> None:
        for queue in list(self._queues):
            # A listener that falls this far behind re-reads the state anyway; it loses nothing
            # it cannot see, so a full queue only drops the notice.
            if queue.qsize() < self._capacity:
                queue.put_nowait(change)

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[Change]]:
        queue: asyncio.Queue[Change] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)


def _ts_of(moment: datetime) -> str:
    return _format_ts(int(moment.timestamp() * 1_000_000))


def _format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


class Workspace:
    """Slack's side of the conversation: what every user would see."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.clock = clock
        self.feed = ChangeFeed()
        self.users: dict[str, UserSpec] = {u.id: u for u in config.users}
        self.usergroups: dict[str, UserGroupSpec] = {g.id: g for g in config.usergroups}
        everyone = [u.id for u in config.users]
        self.channels: dict[str, Channel] = {
            c.id: _channel_from(c, everyone) for c in config.channels
        }
        self.messages: dict[str, list[Message]] = {c: [] for c in self.channels}
        self.ephemerals: list[Ephemeral] = []
        self.files: dict[str, SharedFile] = {}
        self.views: dict[str, OpenView] = {}
        self._last_ts = 0
        self._ids = itertools.count(1)

    # --- lookups that tests use with names or ids ---------------------------------------

    def user(self, ref: str) -> UserSpec:
        """A user by id (`U0ALICE01`), name (`alice`) or mention (`@alice`)."""
        name = ref.removeprefix("@")
        for user in self.users.values():
            if ref == user.id or name == user.name:
                return user
        known = ", ".join(f"{u.name} ({u.id})" for u in self.users.values())
        raise UnknownUser(f"No user {ref!r} in the emulated workspace; it has {known}.")

    def channel(self, ref: str) -> Channel:
        """A channel by id (`C0AIXTEAM`) or name (`aix-team`, `#aix-team`)."""
        found = self.find_channel(ref)
        if found is None:
            known = ", ".join(f"#{c.name} ({c.id})" for c in self.channels.values())
            raise UnknownChannel(f"No channel {ref!r} in the emulated workspace; it has {known}.")
        return found

    def find_channel(self, ref: str) -> Channel | None:
        if ref in self.channels:
            return self.channels[ref]
        name = ref.removeprefix("#")
        return next((c for c in self.channels.values() if c.name == name), None)

    def im_with(self, user_id: str) -> Channel:
        """The bot's direct-message channel with a user, opened on first use like Slack does."""
        channel_id = "D" + user_id[1:]
        if channel_id not in self.channels:
            self.channels[channel_id] = Channel(
                id=channel_id, name=user_id, is_private=True, is_im=True, members=[user_id]
            )
            self.messages[channel_id] = []
        return self.channels[channel_id]

    def new_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._ids):08d}"

    def next_ts(self) -> str:
        """A message ts: wall-clock microseconds, strictly increasing, so unique workspace-wide."""
        micros = max(int(self.clock().timestamp() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return _format_ts(micros)

    # --- messages ------------------------------------------------------------------------

    def message(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.messages.get(channel, []) if m.ts == ts), None)

    def find_message(self, ts: str) -> Message:
        """A live message by ts, whatever its channel."""
        for messages in self.messages.values():
            for message in messages:
                if message.ts == ts and not message.deleted:
                    return message
        raise UnknownMessage(f"No message with ts {ts} (deleted messages do not count).")

    def channel_messages(self, channel: str) -> list[Message]:
        """What the channel shows: live top-level messages, oldest first."""
        channel_id = self.channel(channel).id
        return [m for m in self.messages[channel_id] if not m.deleted and not m.is_reply]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The live replies in a message's thread, oldest first."""
        channel_id = self.channel(channel).id
        return [
            m
            for m in self.messages[channel_id]
            if m.is_reply and m.thread_ts == ts and not m.deleted
        ]

    def post(
        self,
        channel: str,
        *,
        user: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
        files: list[str] | None = None,
    ) -> Message:
        from_bot = user == self.config.bot_user_id
        message = Message(
            channel=channel,
            ts=self.next_ts(),
            user=user,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            bot_id=self.config.bot_id if from_bot else None,
            app_id=self.config.app_id if from_bot else None,
            team=self.config.team_id,
            files=files or [],
            posted_at=self.clock(),
        )
        self.messages[channel].append(message)
        self.feed.publish(Change(kind="message_posted", channel=channel, ts=message.ts))
        return message

    def edit(self, message: Message, *, text: str, blocks: list[dict[str, Any]]) -> Message:
        now = self.clock()
        message.history.append(
            Version(
                text=message.text, blocks=message.blocks, at=message.edited_at or message.posted_at
            )
        )
        message.text, message.blocks, message.edited_at = text, blocks, now
        self.feed.publish(Change(kind="message_changed", channel=message.channel, ts=message.ts))
        return message

    def delete(self, message: Message) -> None:
        message.deleted = True
        self.feed.publish(Change(kind="message_deleted", channel=message.channel, ts=message.ts))

    # --- ephemeral messages --------------------------------------------------------------

    def post_ephemeral(
        self,
        channel: str,
        *,
        user: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
        sender: str | None = None,
    ) -> Ephemeral:
        ephemeral = Ephemeral(
            channel=channel,
            ts=self.next_ts(),
            user=user,
            sender=sender or self.config.bot_user_id,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            posted_at=self.clock(),
        )
        self.ephemerals.append(ephemeral)
        self.feed.publish(
            Change(kind="ephemeral_posted", channel=channel, ts=ephemeral.ts, user=user)
        )
        return ephemeral

    def edit_ephemeral(
        self, ephemeral: Ephemeral, *, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        ephemeral.history.append(
            Version(text=ephemeral.text, blocks=ephemeral.blocks, at=self.clock())
        )
        ephemeral.text, ephemeral.blocks = text, blocks
        self.feed.publish(
            Change(
                kind="ephemeral_changed",
                channel=ephemeral.channel,
                ts=ephemeral.ts,
                user=ephemeral.user,
            )
        )

    def delete_ephemeral(self, ephemeral: Ephemeral) -> None:
        ephemeral.deleted = True
        self.feed.publish(
            Change(
                kind="ephemeral_deleted",
                channel=ephemeral.channel,
                ts=ephemeral.ts,
                user=ephemeral.user,
            )
        )

    def ephemerals_for(self, user: str, channel: str | None = None) -> list[Ephemeral]:
        """What one user sees privately (in one channel, or everywhere), oldest first."""
        user_id = self.user(user).id
        channel_id = self.channel(channel).id if channel is not None else None
        return [
            e
            for e in self.ephemerals
            if e.user == user_id and not e.deleted and channel_id in (None, e.channel)
        ]

    def find_ephemeral(self, ts: str) -> Ephemeral | None:
        return next((e for e in self.ephemerals if e.ts == ts and not e.deleted), None)

    # --- views ---------------------------------------------------------------------------

    def open_view(
        self, user: str, view: dict[str, Any], *, previous: OpenView | None = None
    ) -> OpenView:
        view_id = self.new_id("V")
        stored = {
            "id": view_id,
            "team_id": self.config.team_id,
            "state": {"values": {}},
            "previous_view_id": previous.id if previous else None,
            "root_view_id": previous.view["root_view_id"] if previous else view_id,
            "app_id": self.config.app_id,
            "app_installed_team_id": self.config.team_id,
            "bot_id": self.config.bot_id,
            **_view_content(view, external_id=""),
        }
        stored["hash"] = self._view_hash(stored)
        opened = OpenView(id=view_id, user=user, view=stored)
        self.views[view_id] = opened
        self.feed.publish(Change(kind="view_opened", user=user, view_id=view_id))
        return opened

    def update_view(self, opened: OpenView, view: dict[str, Any]) -> OpenView:
        external_id = str(opened.view.get("external_id", ""))
        opened.view = {**opened.view, **_view_content(view, external_id=external_id)}
        opened.view["hash"] = self._view_hash(opened.view)
        self.feed.publish(Change(kind="view_updated", user=opened.user, view_id=opened.id))
        return opened

    def close_view(self, opened: OpenView) -> None:
        opened.is_open = False
        self.feed.publish(Change(kind="view_closed", user=opened.user, view_id=opened.id))

    def view(self, view_id: str) -> OpenView:
        opened = self.views.get(view_id)
        if opened is None or not opened.is_open:
            raise UnknownView(f"No open view {view_id}; open views: {sorted(self.open_views())}.")
        return opened

    def open_views(self, user: str | None = None) -> dict[str, OpenView]:
        user_id = self.user(user).id if user is not None else None
        return {k: v for k, v in self.views.items() if v.is_open and user_id in (None, v.user)}

    def find_view_by_external_id(self, external_id: str) -> OpenView | None:
        return next(
            (
                v
                for v in self.views.values()
                if v.is_open and v.view.get("external_id") == external_id
            ),
            None,
        )

    def _view_hash(self, view: dict[str, Any]) -> str:
        # Slack's hash changes on every update, so a stale views.update gets hash_conflict.
        digest = hashlib.sha256(f"{view}{next(self._ids)}".encode()).hexdigest()[:8]
        return f"{int(self.clock().timestamp())}.{digest}"

    # --- user groups ---------------------------------------------------------------------

    def usergroup_members(self, usergroup: str) -> list[str] | None:
        group = self.usergroups.get(usergroup)
        return list(group.members) if group is not None else None


def _view_content(view: dict[str, Any], *, external_id: str) -> dict[str, Any]:
    """The part of a stored view that the app sets with views.open or views.update."""
    return {
        "type": view["type"],
        "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "title": view["title"],
        "clear_on_close": view.get("clear_on_close", False),
        "notify_on_close": view.get("notify_on_close", False),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "external_id": view.get("external_id", external_id),
    }


def _channel_from(spec: ChannelSpec, everyone: list[str]) -> Channel:
    return Channel(
        id=spec.id,
        name=spec.name,
        is_private=spec.is_private,
        members=list(spec.members) if spec.members is not None else list(everyone),
        bot_is_member=spec.bot_is_member,
    )
