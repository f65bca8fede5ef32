"""Faults together: the LPAR's SSH drops during the blackout while Slack answers 429 for a
minute; and lkubot killed while Slack's 429s hold back what a run must show (the card, the
launched, blackout and end notices), then started again.

Slack's clock runs at 10x here, so its minute of 429s lasts 6 s: long enough that the call
the bot is killed in is surely one Slack refused.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from liveupdate.requests import RequestState
from sim.slack import Call
from tests.resilience.chaos import (
    PREP,
    WITHIN,
    Card,
    ChaosWorld,
    Tripwire,
    chaos_world,
)
from tests.resilience.invariants import (
    STOPPED_DURING_PREP,
    Expected,
    violations,
    window_duplicates,
)

pytestmark = pytest.mark.slow

LPAR = "lpar001"
SLACK_SPEED = 10.0
MINUTE = 60.0
"""Slack seconds of 429s."""
BLACKOUT = "Blackout Time started"


async def test_an_ssh_drop_in_the_blackout_while_slack_answers_429_for_a_minute(tmp_path) -> None:
    async with chaos_world(
        tmp_path,
        slack_speed=SLACK_SPEED,
        faults={"drop": {"phase": "blackout", "seconds": 60}},
    ) as w:
        card = await w.approved_request(LPAR)
        async with w.tripwire_on_log(
            LPAR,
            card.request_id,
            lambda line: BLACKOUT in line,
            what="the blackout",
            act=lambda: w.slack.inject_rate_limit("*", MINUTE),
        ) as storm:
            await w.launch(card)
            await storm.fired()
        settled = await w.settled(card)
        assert await w.stop_bot() == 0
        assert w.kills == 0

    assert violations(w, card, Expected()) == []
    assert settled
    assert window_duplicates(w, card) == 0
    assert any(c.status == 429 for c in w.slack.calls), "Slack did answer 429"
    follows = [c.command for c in w.fleet.lpar(LPAR).commands if c.command.startswith("tail")]
    assert len(follows) >= 2, "the follower came back after the drop"
    assert not follows[-1].startswith("tail -n +1 "), "resumed after the lines it had"


Arm = Callable[[ChaosWorld, Card], AbstractAsyncContextManager[Tripwire]]


def _storm_on_command(prefix: str, methods: str) -> Arm:
    """A minute of 429s on `methods` from when the LPAR receives a command like `prefix`."""
    return lambda w, card: w.tripwire_on_command(
        card.lpar,
        lambda c: c.command.startswith(prefix),
        what=f"`{prefix}` received",
        act=lambda: w.slack.inject_rate_limit(methods, MINUTE),
    )


def _storm_on_log(fragment: str, methods: str) -> Arm:
    return lambda w, card: w.tripwire_on_log(
        card.lpar,
        card.request_id,
        lambda line: fragment in line,
        what=f"{fragment!r} logged",
        act=lambda: w.slack.inject_rate_limit(methods, MINUTE),
    )


def _storm_after_summary(methods: str) -> Arm:
    return lambda w, card: w.tripwire_on_call(
        lambda call: (
            call.method == "chat.postMessage"
            and call.status == 200
            and _text(call).startswith(f"{card.request_id} on {card.lpar} succeeded")
        ),
        what="the summary posted",
        act=lambda: w.slack.inject_rate_limit(methods, MINUTE),
    )


def _kill_on_command(command: str) -> Arm:
    return lambda w, card: w.tripwire_on_command(
        card.lpar, lambda c: c.command == command, what=f"`{command}` received"
    )


def _kill_when_refused(method: str, starts: Callable[[Card], str]) -> Arm:
    """Kill the bot in a call of `method` whose text starts so, and that Slack refused."""
    return lambda w, card: w.tripwire_on_call(
        lambda call: (
            call.method == method and call.status == 429 and _text(call).startswith(starts(card))
        ),
        what=f"a {method} refused with 429",
    )


def _text(call: Call) -> str:
    return str(call.args.get("text", ""))


CASES: dict[str, tuple[Arm, Arm, Expected]] = {
    # The launch is saved (its preview again is the storm's cue); its card edit and the
    # "launched" notice wait out the 429s while prep's command is in flight.
    "after the launch was saved, before the card and notice showed it": (
        _storm_on_command("geninstall -k -p", "*"),
        _kill_on_command(PREP),
        Expected(RequestState.FAILED, operations=0, because=STOPPED_DURING_PREP, blackout=False),
    ),
    "after the blackout was saved, before its notice was posted": (
        _storm_on_log(BLACKOUT, "chat.postMessage"),
        _kill_when_refused("chat.postMessage", lambda card: f":stopwatch: *{card.request_id}*"),
        Expected(),
    ),
    # The card's edit at the run's end waits out the 429s; the status message's final edit,
    # a second later, is refused too: by then the request's end is saved.
    "after the request ended, before its card showed it": (
        _storm_on_command("cat /var/adm/ras/config.diff", "*"),
        _kill_when_refused(
            "chat.update", lambda card: f"{card.request_id} on {card.lpar}: succeeded"
        ),
        Expected(),
    ),
    "after the summary was saved, before the end notice was posted": (
        _storm_after_summary("chat.postMessage"),
        _kill_when_refused("chat.postMessage", lambda card: f":tada: *{card.request_id}*"),
        Expected(),
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
async def test_killed_while_slack_answers_429_nothing_is_lost(tmp_path, case: str) -> None:
    storm_when, kill_when, expected = CASES[case]
    async with chaos_world(tmp_path, slack_speed=SLACK_SPEED) as w:
        card = await w.approved_request(LPAR)
        async with storm_when(w, card) as storm, kill_when(w, card) as kill:
            await w.launch(card)
            await storm.fired()
            at = await kill.fired(within=WITHIN)
        restarted = await w.restart_bot()
        settled = await w.settled(card)
        assert await w.stop_bot() == 0, restarted.output()

    assert violations(w, card, expected) == [], f"killed when {at}"
    assert settled
    assert window_duplicates(w, card) == 0
