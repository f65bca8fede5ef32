"""lkubot killed with SIGKILL at each moment of a live kernel update, then started again: the
run ends as it should, started once, every phase saved once and in order, one status message
edited in place, one final summary, every notice once, the audit chain intact.

lkubot runs as its own process (`lkubot run --http`); the LPAR (at 120x: the 11-minute
transcript takes about 6 s, its 21 s blackout about 0.2 s) and Slack are in the test's
process, and the moment of the kill is taken from their records (see `chaos.Tripwire`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import pytest

from liveupdate.requests import RequestState
from tests.resilience.chaos import (
    CHANNEL,
    POST,
    PREP,
    WITHIN,
    Card,
    ChaosWorld,
    Tripwire,
    actions,
    chaos_world,
    is_status,
)
from tests.resilience.invariants import (
    STOPPED_DURING_PREP,
    STOPPED_WHILE_RUNNING,
    Expected,
    violations,
    window_duplicates,
)

pytestmark = pytest.mark.slow

LPAR = "lpar001"
UNREACHABLE = 3600.0
"""Virtual seconds an LPAR refuses SSH (30 s at 120x): longer than the test needs it to."""
Arm = Callable[[ChaosWorld, Card], AbstractAsyncContextManager[Tripwire]]


@dataclass(frozen=True)
class Moment:
    arm: Arm
    expected: Expected
    duplicates: int = 0
    """Messages posted twice: only the documented window (Slack posted, lkubot died before
    saving the ts) may show one."""
    refused: int = 0
    """Starts sent again that the LPAR's shell refused (the first had got there)."""


def _on_command(text: str) -> Arm:
    return lambda w, card: w.tripwire_on_command(
        card.lpar, lambda c: c.command == text, what=f"`{text}` received"
    )


def _on_call(method: str, starts: Callable[[Card], str], what: str) -> Arm:
    def arm(w: ChaosWorld, card: Card) -> AbstractAsyncContextManager[Tripwire]:
        head = starts(card)
        return w.tripwire_on_call(
            lambda call: call.method == method and str(call.args.get("text", "")).startswith(head),
            what=what,
        )

    return arm


def _on_log(fragment: str) -> Arm:
    return lambda w, card: w.tripwire_on_log(
        card.lpar, card.request_id, lambda line: fragment in line, what=f"{fragment!r} logged"
    )


MOMENTS = {
    # prep's command is in flight: it is in doubt, never sent again, so the run stops there,
    # the operation never starts, and post does not run.
    "during prep": Moment(
        _on_command(PREP),
        Expected(RequestState.FAILED, operations=0, because=STOPPED_DURING_PREP, blackout=False),
    ),
    # prep's command has its result saved: the next lkubot goes on from there.
    "after prep, during the reading before the start": Moment(
        _on_command("lparstat -i"), Expected()
    ),
    # Killed before any line of the log was read: the next lkubot cannot tell whether the
    # start got there, sends it again, and the LPAR's shell refuses it (the log exists).
    "right after the detached start": Moment(
        lambda w, card: w.tripwire_on_command(
            card.lpar, lambda c: c.operation is not None, what="the detached start received"
        ),
        Expected(),
        refused=1,
    ),
    "mid-run, as the status message shows a phase": Moment(
        _on_call(
            "chat.update", lambda card: f"{card.request_id} on {card.lpar}: phase ", "a phase"
        ),
        Expected(),
    ),
    "during the blackout": Moment(_on_log("Blackout Time started"), Expected()),
    "during aftercare": Moment(_on_command("cat /var/adm/ras/config.diff"), Expected()),
    # post's command is in flight: the update is done, but the aftercare is in doubt.
    "during post": Moment(
        _on_command(POST), Expected(RequestState.FAILED, because=STOPPED_WHILE_RUNNING)
    ),
    "just before the summary": Moment(
        _on_call(
            "chat.update",
            lambda card: f"{card.request_id} on {card.lpar}: succeeded after",
            "the final edit of the status message",
        ),
        Expected(),
    ),
    # The one window no restart can close without reading the channel back: Slack has posted
    # a message (here a notice, then the summary) and lkubot dies before it saves its ts.
    "after Slack posted the blackout notice, before lkubot saved it": Moment(
        _on_call("chat.postMessage", lambda card: f":stopwatch: *{card.request_id}*", "the notice"),
        Expected(),
        duplicates=1,
    ),
    "after Slack posted the summary, before lkubot saved it": Moment(
        _on_call(
            "chat.postMessage",
            lambda card: f"{card.request_id} on {card.lpar} succeeded after",
            "the summary posted",
        ),
        Expected(),
        duplicates=1,
    ),
}


@pytest.mark.parametrize("moment", list(MOMENTS), ids=list(MOMENTS))
async def test_killed_and_restarted_the_run_ends_as_if_nothing_happened(
    tmp_path, moment: str
) -> None:
    kill = MOMENTS[moment]
    async with chaos_world(tmp_path, lpars=1) as w:
        card = await w.approved_request(LPAR)
        async with kill.arm(w, card) as wire:
            await w.launch(card)
            at = await wire.fired(within=WITHIN)
        assert w.kills == 1, at
        restarted = await w.restart_bot()
        settled = await w.settled(card)
        assert await w.stop_bot() == 0, restarted.output()

        assert violations(w, card, kill.expected) == [], f"killed when {at}"
        assert settled
        assert window_duplicates(w, card) == kill.duplicates, f"killed when {at}"
        refused = [c for c in w.fleet.lpar(card.lpar).commands if c.start_refused]
        assert len(refused) == kill.refused, f"killed when {at}"


async def test_killed_as_the_cancel_is_sent_the_run_ends_cancelled_and_cleaned_up(
    tmp_path,
) -> None:
    # AIX prints its point of no return 10 s into the operation; here the operation hangs
    # just before it, so that the cancel surely comes first.
    async with chaos_world(tmp_path, lpars=1, faults={"hang": {"phase": "preview_succeeded"}}) as w:
        card = await w.approved_request(LPAR)
        await w.launch(card)
        status = await w.slack.wait_for_message(
            CHANNEL,
            lambda m: is_status(m, card) and "cancel_run" in actions(m),
            thread_ts=card.ts,
            within=WITHIN,
        )
        async with w.tripwire_on_command(
            LPAR, lambda c: c.command.startswith("kill -TERM "), what="the cancel's TERM"
        ) as wire:
            await w.slack.click("bob", status, "cancel_run", value=f"{card.request_id}-1")
            at = await wire.fired()
        restarted = await w.restart_bot()
        settled = await w.settled(card)
        assert await w.stop_bot() == 0, restarted.output()

    expected = Expected(RequestState.CANCELLED, blackout=False)
    assert violations(w, card, expected) == [], f"killed when {at}"
    assert settled
    received = [c.command for c in w.fleet.lpar(LPAR).commands]
    assert len([c for c in received if c.startswith("kill -TERM ")]) == 1, "TERM sent once"
    assert received.count("clvupdate") == 1, "the cancelled update is cleaned up, once"
    assert not w.fleet.lpar(LPAR).state.lku_cleanup_pending


async def test_killed_before_the_start_left_the_next_lkubot_sends_it_and_the_run_succeeds(
    tmp_path,
) -> None:
    # The LPAR stops answering SSH right after the reading before the start: lkubot has noted
    # the start as sent and keeps trying to reach the LPAR when it is killed. The start is
    # idempotent, so the next lkubot sends it again: the operation starts, once.
    async with chaos_world(tmp_path, lpars=1) as w:
        card = await w.approved_request(LPAR)
        lpar = w.fleet.lpar(LPAR)
        async with w.tripwire_on_command(
            LPAR,
            lambda c: c.command == "lparstat -i",
            what="the reading before the start",
            act=lambda: lpar.drop_connections(UNREACHABLE),
        ) as cut:
            await w.launch(card)
            await cut.fired()
        await w.until_step(f"{card.request_id}-1", "operation_sent")
        w.kill_bot()
        assert not [c for c in lpar.commands if c.operation or c.start_refused], "not left yet"
        lpar.unreachable_until = None
        await w.restart_bot()
        settled = await w.settled(card)
        assert await w.stop_bot() == 0

    assert violations(w, card, Expected()) == []
    assert settled
    assert len([c for c in lpar.commands if c.operation]) == 1, "started exactly once"
    assert not [c for c in lpar.commands if c.start_refused]
