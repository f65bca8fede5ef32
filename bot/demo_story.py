"""`lkubot demo --scripted`: the whole workflow played through the Slack emulator's driver, as
the demo's people would play it in the browser, written down as a transcript.

    async with demo_world(directory, speed=20.0) as world:
        with Transcript(world.slack, sys.stdout) as transcript:
            await play_story(world, transcript)      # StoryError names the step that failed

The story, on lpar002 (group prod, two approvals):
1. carol previews it: the request card LU-1 and a notice in #prod-ops;
2. carol tries to approve her own request and is told why not;
3. alice and bob approve: the card offers [Launch];
4. carol launches, through Slack's confirmation dialog;
5. the run's status message in the card's thread moves through the phases, the blackout is
   announced in #prod-ops, and the final summary shows the blackout and config.diff;
6. carol asks for an LLU preview of the processes still on old code ([LLU preview]): LU-2.

Every wait is bounded: a step that only Slack and lkubot take part in has `STEP_WITHIN`
seconds, a step that waits for an LPAR has its AIX time at the demo's speed on top.
"""

from __future__ import annotations

from typing import Any

from bot.demo import CHANNEL, NOTICES, STORY_LPAR, DemoWorld
from bot.demo_transcript import StepTimeout, Transcript
from bot.views import actions
from liveupdate.requests import RequestState
from sim.slack import Message
from sim.slack.plaintext import plain_confirm, plain_element
from sim.slack.web.mrkdwn import Names
from storage.store import Store

STEP_WITHIN = 20.0
"""Seconds for a step that waits for Slack and lkubot only (an ack, a card edit)."""
PREVIEW_AIX_SECONDS = 120.0
"""Generous AIX time for a preview: the simulated `geninstall -k -p` takes 40 s, plus reads."""
RUN_AIX_SECONDS = 1200.0
"""Generous AIX time for the whole live kernel update: the captured one took 11 min 12 s."""

REQUESTER = "carol"
APPROVERS = ("alice", "bob")


class StoryError(Exception):
    """A step of the story did not happen, or not as the story needs; the message says which
    and why. The transcript written so far shows what Slack showed instead."""


def lpar_bound(aix_seconds: float, speed: float) -> float:
    """Seconds of the wall to wait for something that takes `aix_seconds` on the LPARs."""
    return aix_seconds / speed + STEP_WITHIN


async def play_story(world: DemoWorld, transcript: Transcript) -> None:
    """Play the story to its end, or raise StoryError at the first step that fails."""
    summary = await play_run(world, transcript)
    try:
        await _Story(world, transcript).preview_llu(summary)
    except StepTimeout as timeout:
        raise _failed(timeout) from None


async def play_run(world: DemoWorld, transcript: Transcript) -> Message:
    """Steps 1 to 5: from carol's preview to the run's final summary, which is returned."""
    story = _Story(world, transcript)
    try:
        card = await story.preview()
        await story.approve_own_request(card)
        for approver in APPROVERS:
            await story.approve(card, approver)
        await story.launch(card)
        return await story.follow_run(card)
    except StepTimeout as timeout:
        raise _failed(timeout) from None


def _failed(timeout: StepTimeout) -> StoryError:
    return StoryError(f"{timeout}; the transcript above shows what Slack showed")


class _Story:
    def __init__(self, world: DemoWorld, transcript: Transcript) -> None:
        self.world = world
        self.slack = world.slack
        self.transcript = transcript
        self.names = Names.of(world.slack.state)

    async def preview(self) -> Message:
        command = f"preview {STORY_LPAR}"
        self.transcript.act(REQUESTER, f"/lku {command}", channel=CHANNEL)
        await self.slack.slash(REQUESTER, CHANNEL, "/lku", command)
        within = lpar_bound(PREVIEW_AIX_SECONDS, self.world.speed)
        await self._handled(f"the preview of {STORY_LPAR}", within=within)
        card = await self._card("LU-1", within=STEP_WITHIN)
        request = await self.world.bot.services.store.call(Store.get_request, "LU-1")
        if request.state is not RequestState.PENDING:
            raise StoryError(
                f"LU-1 is {request.state.value} after the preview, not waiting for approvals: "
                "see its card"
            )
        return card

    async def approve_own_request(self, card: Message) -> None:
        await self._click(REQUESTER, card, actions.APPROVE)
        requester = self.slack.state.user(REQUESTER).id
        await self.transcript.until(
            lambda: self.slack.state.ephemerals_for(requester),
            within=STEP_WITHIN,
            what=f"the refusal of {REQUESTER}'s own approval",
        )
        if await self._votes("LU-1"):
            raise StoryError(f"{REQUESTER}'s approval of her own request was counted")

    async def approve(self, card: Message, approver: str) -> None:
        await self._click(approver, card, actions.APPROVE)
        user = self.slack.state.user(approver).id
        await self.transcript.until(
            lambda: user in self._current(card).content,
            within=STEP_WITHIN,
            what=f"{approver}'s approval on the card of LU-1",
        )

    async def launch(self, card: Message) -> None:
        button = await self.transcript.until(
            lambda: _element(self._current(card).blocks, actions.LAUNCH),
            within=STEP_WITHIN,
            what="the [Launch] button on the approved card of LU-1",
        )
        self._tell_click(REQUESTER, card, button)
        if button.get("confirm"):
            self.transcript.note([f"Slack asks: {plain_confirm(button['confirm'], self.names)}"])
            self.transcript.act(
                REQUESTER, f"clicks {plain_element(button, self.names)}", channel=CHANNEL
            )
        await self.slack.click(REQUESTER, self._current(card), actions.LAUNCH, value="LU-1")
        await self._handled("the launch of LU-1", within=STEP_WITHIN)

    async def follow_run(self, card: Message) -> Message:
        """The status message, the blackout, the end of the run and its final summary."""
        run_within = lpar_bound(RUN_AIX_SECONDS, self.world.speed)
        status = await self.transcript.until(
            lambda: next(iter(self.slack.state.thread(CHANNEL, card.ts)), None),
            within=STEP_WITHIN,
            what="the run's status message in the thread of LU-1",
        )
        self.transcript.name(status, "the status message of LU-1")
        await self.transcript.until(
            lambda: self._notice("LU-1", "blackout"),
            within=run_within,
            what=f"the blackout notice of LU-1 in #{NOTICES}",
        )
        summary = await self.transcript.until(
            lambda: next(
                (m for m in self.slack.state.thread(CHANNEL, card.ts) if m.ts != status.ts),
                None,
            ),
            within=run_within,
            what="the final summary in the thread of LU-1",
        )
        self.transcript.name(summary, "the final summary of LU-1")
        request = await self.world.bot.services.store.call(Store.get_request, "LU-1")
        if request.state is not RequestState.SUCCEEDED:
            raise StoryError(f"LU-1 ended {request.state.value}, not succeeded: see its summary")
        await self.transcript.until(
            lambda: self._notice("LU-1", "succeeded"),
            within=STEP_WITHIN,
            what=f"the notice in #{NOTICES} that LU-1 succeeded",
        )
        return summary

    async def preview_llu(self, summary: Message) -> None:
        if _element(summary.blocks, actions.LLU_PREVIEW) is None:
            raise StoryError(
                "the final summary of LU-1 offers no [LLU preview]: genld -u found no "
                "process still running old code"
            )
        await self._click(REQUESTER, summary, actions.LLU_PREVIEW)
        within = lpar_bound(PREVIEW_AIX_SECONDS, self.world.speed)
        await self._handled(f"the LLU preview of {STORY_LPAR}", within=within)
        await self._card("LU-2", within=STEP_WITHIN)

    # --- helpers -----------------------------------------------------------------------------

    async def _click(self, who: str, message: Message, action_id: str) -> None:
        """`who` clicks the element `action_id` of the message as it is now."""
        current = self._current(message)
        element = _element(current.blocks, action_id)
        if element is None:
            raise StoryError(f"{self.transcript.name_of(current)} has no {action_id} button")
        self._tell_click(who, current, element)
        await self.slack.click(who, current, action_id, value=element.get("value"))
        await self._handled(f"{who}'s click on {plain_element(element, self.names)}")

    def _tell_click(self, who: str, message: Message, element: dict[str, Any]) -> None:
        self.transcript.act(
            who,
            f"clicks {plain_element(element, self.names)} on {self.transcript.name_of(message)}",
            channel=message.channel,
            thread_ts=message.thread_ts if message.is_reply else None,
        )

    async def _handled(self, what: str, *, within: float = STEP_WITHIN) -> None:
        """Until lkubot has done all the work the last action gave it (its replies sent), so
        the transcript shows them before the next person acts."""
        try:
            await self.world.bot.tasks.wait_idle(within)
        except TimeoutError:
            raise StepTimeout(f"lkubot's work on {what} did not end within {within:g} s") from None
        self.transcript.catch_up()

    async def _card(self, request_id: str, *, within: float) -> Message:
        card = await self.transcript.until(
            lambda: next(
                (
                    m
                    for m in self.slack.state.channel_messages(CHANNEL)
                    if m.user == self.slack.config.bot_user_id and request_id in m.text
                ),
                None,
            ),
            within=within,
            what=f"the request card of {request_id} in #{CHANNEL}",
        )
        self.transcript.name(card, f"the request card of {request_id}")
        return card

    def _current(self, message: Message) -> Message:
        return self.slack.state.find_message(message.ts)

    def _notice(self, request_id: str, word: str) -> Message | None:
        return next(
            (
                m
                for m in self.slack.state.channel_messages(NOTICES)
                if request_id in m.text and word in m.text.lower()
            ),
            None,
        )

    async def _votes(self, request_id: str) -> list[str]:
        request = await self.world.bot.services.store.call(Store.get_request, request_id)
        return [vote.user for vote in request.votes]


def _element(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any] | None:
    """The interactive element with `action_id` in `blocks`, if there is one."""
    for block in blocks:
        elements = [*(block.get("elements") or []), block.get("accessory") or {}]
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    return None
