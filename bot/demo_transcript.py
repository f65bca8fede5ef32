"""The scripted demo's transcript: what each person did and what Slack showed, as text.

    with Transcript(slack, sys.stdout) as transcript:
        transcript.act("carol", "/lku preview lpar002", channel="aix-team")
        card = await transcript.until(find_card, within=30, what="the request card")

It follows the emulator's change feed, so nothing the bot does is missed or told twice, in
the order it happened: a new message is written whole, an edited one only by the lines that
are new in it (a vote, the next phase), an ephemeral one with who alone sees it. Each place
is named once when the story moves there, as in the README's sample transcript:

    #aix-team
    carol   /lku preview lpar002
    lkubot  (only carol sees this) Previewing lpar002…
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Callable
from types import TracebackType
from typing import TextIO, TypeVar

from sim.slack import Ephemeral, Message, SlackEmulator
from sim.slack.plaintext import plain_message
from sim.slack.web.mrkdwn import Names
from sim.slack.workspace import Change

T = TypeVar("T")

NAME_WIDTH = 8
"""The column where what was said starts, after the speaker's name."""


class StepTimeout(Exception):
    """Something the story waits for did not happen in time; the message says what."""


class Transcript:
    """Writes the story to `out` as it happens. Use it as a context manager: it listens to
    the workspace from entering until leaving."""

    def __init__(self, slack: SlackEmulator, out: TextIO) -> None:
        self._slack = slack
        self._out = out
        self._names = Names.of(slack.state)
        self._place: tuple[str, str | None] | None = None
        self._shown: dict[str, list[str]] = {}
        """Per message or ephemeral ts: the lines last written of it."""
        self._names_of: dict[str, str] = {}
        self._changes: asyncio.Queue[Change] | None = None
        self._listening = slack.state.feed.subscribe()

    def __enter__(self) -> Transcript:
        self._changes = self._listening.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.catch_up()
        self._listening.__exit__(kind, error, traceback)

    # --- what people do ----------------------------------------------------------------------

    def act(self, who: str, what: str, *, channel: str, thread_ts: str | None = None) -> None:
        """`who` does `what` in `channel` (in the thread of `thread_ts`). What happened before
        is written first, so the transcript keeps the order of events."""
        self.catch_up()
        self._move(self._slack.state.channel(channel).id, thread_ts)
        self._say(who, [what])

    def name(self, message: Message, name: str) -> None:
        """Call `message` by `name` from now on, e.g. "the request card of LU-1"."""
        self._names_of[message.ts] = name

    def note(self, lines: list[str]) -> None:
        """Lines under the last speaker, e.g. the question of a confirmation dialog."""
        self.catch_up()
        self._say("", lines)

    # --- what Slack shows ----------------------------------------------------------------------

    async def until(self, probe: Callable[[], T | None], *, within: float, what: str) -> T:
        """The first truthy `probe()`, writing every change that happens meanwhile; or
        StepTimeout after `within` seconds, naming `what` was awaited."""
        changes = self._queue()
        try:
            async with asyncio.timeout(within):
                while True:
                    self.catch_up()
                    found = probe()
                    if found:
                        return found
                    self._write(await changes.get())
        except TimeoutError:
            self.catch_up()
            raise StepTimeout(f"{what} did not happen within {within:g} s") from None

    def catch_up(self) -> None:
        """Write every change that has happened and is not written yet."""
        changes = self._queue()
        while not changes.empty():
            self._write(changes.get_nowait())

    def _queue(self) -> asyncio.Queue[Change]:
        if self._changes is None:
            raise RuntimeError("Use the transcript in a `with` block: it listens only there.")
        return self._changes

    def _write(self, change: Change) -> None:
        state = self._slack.state
        if change.kind in ("message_posted", "message_changed") and change.channel and change.ts:
            message = state.message(change.channel, change.ts)
            if message is not None and not message.deleted:
                self._message(message)
        elif change.kind in ("ephemeral_posted", "ephemeral_changed") and change.ts:
            ephemeral = state.find_ephemeral(change.ts)
            if ephemeral is not None and not ephemeral.deleted:
                self._ephemeral(ephemeral)

    def _message(self, message: Message) -> None:
        lines = plain_message(message.text, message.blocks, self._names)
        lines += [f"\U0001f4ce {self._file_name(f)}" for f in message.files]
        self._move(message.channel, message.thread_ts if message.is_reply else None)
        before = self._shown.get(message.ts)
        self._shown[message.ts] = lines
        if before is None:
            self._say(self._who(message.user), lines)
            return
        added = _new_lines(before, lines)
        if added:
            title = self.name_of(message)
            self._say(self._who(message.user), [f"edits {title}:", *(f"  {x}" for x in added)])

    def _ephemeral(self, ephemeral: Ephemeral) -> None:
        lines = plain_message(ephemeral.text, ephemeral.blocks, self._names)
        before = self._shown.get(ephemeral.ts)
        self._shown[ephemeral.ts] = lines
        shown = lines if before is None else _new_lines(before, lines)
        if not shown:
            return
        self._move(ephemeral.channel, ephemeral.thread_ts)
        seen_by = f"(only {self._who(ephemeral.user)} sees this)"
        self._say(self._who(ephemeral.sender), [f"{seen_by} {shown[0]}", *shown[1:]])

    def name_of(self, message: Message) -> str:
        """What the story calls `message`, else the first line it had when posted, quoted."""
        if message.ts in self._names_of:
            return self._names_of[message.ts]
        first = message.history[0] if message.history else message
        lines = plain_message(first.text, first.blocks, self._names)
        return f'"{lines[0]}"' if lines else "a message"

    def _move(self, channel: str, thread_ts: str | None) -> None:
        place = (channel, thread_ts)
        if place == self._place:
            return
        self._place = place
        name = "#" + self._slack.state.channel(channel).name
        if thread_ts is not None:
            parent = self._slack.state.message(channel, thread_ts)
            shown = self._shown.get(thread_ts) or []
            head = shown[0] if shown else (parent.ts if parent else thread_ts)
            name += f", thread of {head}"
        self._out.write(f"\n{name}\n")

    def _say(self, who: str, lines: list[str]) -> None:
        indent = " " * NAME_WIDTH
        for index, line in enumerate(lines):
            lead = f"{who:<{NAME_WIDTH - 1}} " if index == 0 else indent
            self._out.write(f"{lead}{line}".rstrip() + "\n")
        self._out.flush()

    def _who(self, user: str) -> str:
        config = self._slack.state.config
        if user == config.bot_user_id:
            return config.bot_name
        return self._names.users.get(user, user)

    def _file_name(self, file_id: str) -> str:
        file = self._slack.state.files.get(file_id)
        return file.name if file is not None else file_id


def _new_lines(before: list[str], after: list[str]) -> list[str]:
    """The lines of `after` that replace or add to `before`, in order."""
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    return [
        line
        for tag, _, _, start, end in matcher.get_opcodes()
        if tag in ("replace", "insert")
        for line in after[start:end]
    ]
