"""What the browser page reads: the workspace as one user sees it, as pydantic models served as
JSON. Messages come with their HTML already drawn (`markup`), so the page's script only places
them.

A user sees a channel's messages, their own ephemeral messages (nobody else's), and their own
open modals. The builders here are pure: they read the workspace and change nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from sim.slack.config import UserSpec
from sim.slack.errors import EmulatorError, UnknownMessage
from sim.slack.web.markup import render_blocks, render_message_body, render_text
from sim.slack.web.mrkdwn import Names
from sim.slack.web.options import Completions
from sim.slack.workspace import SLACKBOT, Channel, Ephemeral, Message, OpenView, Workspace

FILES_PATH = "/page/files"


class NotAMember(EmulatorError):
    """A user asked to read a private channel they are not in."""


class Person(BaseModel):
    id: str
    name: str = Field(description="the handle, as in @name")
    real_name: str
    is_admin: bool = False
    is_bot: bool = False


class ChannelEntry(BaseModel):
    """A line of the sidebar."""

    id: str
    name: str = Field(description="the channel's name, or the bot's for a direct message")
    is_private: bool
    is_im: bool
    bot_is_member: bool


class WorkspaceSnapshot(BaseModel):
    """Everything that does not change while the page is open."""

    team_name: str
    bot: Person
    users: list[Person]
    completions: Completions
    default_channel: str
    default_user: str


class Sidebar(BaseModel):
    """The channels one user is in, then their direct messages with the bot."""

    channels: list[ChannelEntry]


class FileLink(BaseModel):
    id: str
    title: str
    name: str
    size: int
    url: str
    uploaded: bool


class Item(BaseModel):
    """A message or an ephemeral message, drawn."""

    kind: Literal["message", "ephemeral"]
    ts: str
    channel: str
    thread_ts: str | None
    author: Person
    posted_at: datetime
    edited_at: datetime | None = None
    html: str = Field(description="the message's blocks (or text) as HTML, escaped")
    files: list[FileLink] = Field(default_factory=list)
    reply_count: int = 0
    last_reply_at: datetime | None = None


class ChannelSnapshot(BaseModel):
    channel: ChannelEntry
    is_member: bool = Field(description="whether the user may type and click here")
    items: list[Item] = Field(description="oldest first, the user's ephemerals among them")
    older: int = Field(description="how many older messages are left out")


class ThreadSnapshot(BaseModel):
    channel: ChannelEntry
    parent: Item
    replies: list[Item] = Field(description="oldest first, the user's ephemerals among them")


class ModalSnapshot(BaseModel):
    id: str
    title: str = Field(description="HTML")
    submit: str | None = Field(description="the submit button's label; None: no submit")
    close: str = Field(description="the close button's label")
    html: str = Field(description="the modal's blocks as HTML, inputs named BLOCK/ACTION")


class ViewsSnapshot(BaseModel):
    """The user's open modals, the one in front last."""

    views: list[ModalSnapshot]


class Snapshots:
    """Reads one workspace for the page."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.config = workspace.config

    @property
    def names(self) -> Names:
        # Direct-message channels appear as users act, so the names are read afresh.
        return Names.of(self.workspace)

    def workspace_snapshot(
        self, completions: Completions, default_channel: str, default_user: str
    ) -> WorkspaceSnapshot:
        return WorkspaceSnapshot(
            team_name=self.config.team_name,
            bot=self.bot,
            users=[_person(u) for u in self.workspace.users.values()],
            completions=completions,
            default_channel=self.workspace.channel(default_channel).id,
            default_user=self.workspace.user(default_user).id,
        )

    def sidebar(self, user: str) -> Sidebar:
        user_id = self.workspace.user(user).id
        joined = [c for c in self.workspace.channels.values() if user_id in c.members]
        return Sidebar(
            channels=[self.entry(c) for c in sorted(joined, key=lambda c: (c.is_im, c.name))]
        )

    def channel(self, channel: str, user: str, *, limit: int) -> ChannelSnapshot:
        place, person = self._readable(channel, user)
        names = self.names
        messages = self.workspace.channel_messages(place.id)
        shown = messages[-limit:]
        items = [self._message_item(m, names) for m in shown]
        oldest = shown[0].ts if shown and len(messages) > limit else ""
        items += [
            self._ephemeral_item(e, names)
            for e in self.workspace.ephemerals_for(person.id, place.id)
            if e.thread_ts is None and e.ts > oldest
        ]
        return ChannelSnapshot(
            channel=self.entry(place),
            is_member=person.id in place.members,
            items=sorted(items, key=lambda i: i.ts),
            older=len(messages) - len(shown),
        )

    def thread(self, channel: str, ts: str, user: str) -> ThreadSnapshot:
        place, person = self._readable(channel, user)
        parent = self.workspace.message(place.id, ts)
        if parent is None or parent.deleted or parent.is_reply:
            raise UnknownMessage(f"No message {ts} in #{place.name} to show the thread of.")
        names = self.names
        replies = [self._message_item(m, names) for m in self.workspace.thread(place.id, ts)]
        replies += [
            self._ephemeral_item(e, names)
            for e in self.workspace.ephemerals_for(person.id, place.id)
            if e.thread_ts == ts
        ]
        return ThreadSnapshot(
            channel=self.entry(place),
            parent=self._message_item(parent, names),
            replies=sorted(replies, key=lambda i: i.ts),
        )

    def views(self, user: str) -> ViewsSnapshot:
        names = self.names
        opened = self.workspace.open_views(user).values()
        return ViewsSnapshot(views=[_modal(v, names) for v in opened])

    # --- pieces --------------------------------------------------------------------------

    def _readable(self, channel: str, user: str) -> tuple[Channel, UserSpec]:
        """A channel the user may read: any public one, a private one or DM only as a member."""
        place = self.workspace.channel(channel)
        person = self.workspace.user(user)
        if place.is_private and person.id not in place.members:
            raise NotAMember(f"#{place.name} is private and {person.name} is not in it.")
        return place, person

    @property
    def bot(self) -> Person:
        return Person(
            id=self.config.bot_user_id,
            name=self.config.bot_name,
            real_name=self.config.bot_name,
            is_bot=True,
        )

    def entry(self, channel: Channel) -> ChannelEntry:
        return ChannelEntry(
            id=channel.id,
            name=self.config.bot_name if channel.is_im else channel.name,
            is_private=channel.is_private,
            is_im=channel.is_im,
            bot_is_member=channel.bot_is_member,
        )

    def author(self, user_id: str) -> Person:
        if user_id == self.config.bot_user_id:
            return self.bot
        if user_id == SLACKBOT:
            return Person(id=SLACKBOT, name="slackbot", real_name="Slackbot", is_bot=True)
        user = self.workspace.users.get(user_id)
        if user is None:
            return Person(id=user_id, name=user_id, real_name=user_id)
        return _person(user)

    def _message_item(self, message: Message, names: Names) -> Item:
        replies = [] if message.is_reply else self.workspace.thread(message.channel, message.ts)
        return self._item(
            message,
            names,
            kind="message",
            author=self.author(message.user),
            edited_at=message.edited_at,
            files=[self._file(f) for f in message.files if f in self.workspace.files],
            reply_count=len(replies),
            last_reply_at=replies[-1].posted_at if replies else None,
        )

    def _ephemeral_item(self, ephemeral: Ephemeral, names: Names) -> Item:
        return self._item(
            ephemeral,
            names,
            kind="ephemeral",
            author=self.author(ephemeral.sender),
            edited_at=ephemeral.history[-1].at if ephemeral.history else None,
        )

    def _item(self, record: Message | Ephemeral, names: Names, **own: Any) -> Item:
        """An item from what messages and ephemeral messages share, plus their `own` fields."""
        return Item(
            ts=record.ts,
            channel=record.channel,
            thread_ts=record.thread_ts,
            posted_at=record.posted_at,
            html=str(render_message_body(record.text, record.blocks, names)),
            **own,
        )

    def _file(self, file_id: str) -> FileLink:
        shared = self.workspace.files[file_id]
        return FileLink(
            id=shared.id,
            title=shared.title,
            name=shared.name,
            size=len(shared.content or b""),
            url=f"{FILES_PATH}/{shared.id}",
            uploaded=shared.content is not None,
        )


def _person(user: UserSpec) -> Person:
    return Person(id=user.id, name=user.name, real_name=user.real_name, is_admin=user.is_admin)


def _modal(opened: OpenView, names: Names) -> ModalSnapshot:
    view = opened.view
    submit = view.get("submit")
    close = view.get("close")
    return ModalSnapshot(
        id=opened.id,
        title=str(render_text(view.get("title"), names)),
        submit=str(submit.get("text", "Submit")) if submit else None,
        close=str(close.get("text", "Cancel")) if close else "Cancel",
        html=str(render_blocks(list(view.get("blocks", [])), names)),
    )
