"""What must hold at the end of a run, however often lkubot was killed during it: the
resilience target of DESIGN.md ("nothing lost ... a run is launched at most once"), checked
from the outside world's records (the LPAR's commands, what Slack shows) and lkubot's SQLite.

`violations(world, card, expected)` lists every broken rule as a sentence; empty is good.
The end-to-end tests assert it is empty; `bench/bench_chaos.py` counts what it returns.

Two outcomes come only from the documented crash windows, and are checked as such:
- a message posted twice: Slack posted it (the status message, the final summary, a notice)
  and lkubot died before saving its ts; the database does not know the first copy, and the
  restarted bot posts it again (`window_duplicates` counts them). Every copy but the last
  must have such a kill after it, before the next copy: two copies with no kill between
  them were posted by one lkubot, which is a bug;
- a run failed on a prep or post command in doubt: lkubot died while the command was on its
  way or running, so it cannot tell whether it ran, and does not send it again.
A start is never in doubt for long: it is sent again until the log shows which one ran.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bot.views.request_card import STATE_LABELS
from liveupdate.phases import TOTAL_PHASES
from liveupdate.requests import RequestState
from sim.slack import Message
from storage.run_messages import run_messages
from storage.shown import notice_ts
from storage.store import Store
from tests.resilience.chaos import (
    NOTICES,
    POST,
    PREP,
    TERMINAL,
    Card,
    ChaosWorld,
    actions,
    is_end_notice,
    is_status,
    is_summary,
)

STOPPED_DURING_PREP = "lkubot stopped during the prep stage"
STOPPED_WHILE_RUNNING = "lkubot stopped while it ran"
"""The sentences of a run that failed only because lkubot was killed with a stage command in
flight (`lpar.runner`): such a command is never sent again, so the run cannot succeed."""


@dataclass(frozen=True)
class Expected:
    state: RequestState = RequestState.SUCCEEDED
    operations: int = 1
    """Detached starts the LPAR received for this request."""
    because: str | None = None
    """For a failed run: a sentence its message must hold."""
    blackout: bool = True
    """Did the operation go through its blackout (one blackout notice, one of each record)?"""


def expected_after_kills(world: ChaosWorld, card: Card) -> Expected:
    """What a run killed at unknown moments may rightly end as: succeeded, or failed because
    a kill left a prep or post command in doubt (read from the run's own message, and only
    believed after a kill). A command is noted before it is sent, so one in doubt may never
    have reached the LPAR."""
    with Store.open(world.db) as store:
        runs = store.runs_of(card.request_id)
    message = runs[0].last_error if runs else None
    if world.kills and message and STOPPED_DURING_PREP in message:
        return Expected(
            RequestState.FAILED, operations=0, because=STOPPED_DURING_PREP, blackout=False
        )
    if world.kills and message and STOPPED_WHILE_RUNNING in message:
        return Expected(RequestState.FAILED, because=STOPPED_WHILE_RUNNING)
    return Expected()


def violations(world: ChaosWorld, card: Card, expected: Expected) -> list[str]:
    """Every rule the run of `card` broke, as sentences (see the module text)."""
    found: list[str] = []
    rid = card.request_id
    lpar = world.fleet.lpar(card.lpar)
    received = [c.command for c in lpar.commands]
    starts = [c for c in lpar.commands if c.operation and f"lkubot-{rid}-" in c.command]

    # --- the LPAR: started at most once, no stage command twice ---------------------------
    if len(starts) != expected.operations:
        found.append(f"{rid}: the operation was started {len(starts)} times, not "
                     f"{expected.operations}.")  # fmt: skip
    for command in (PREP, POST):
        if received.count(command) > 1:
            found.append(f"{rid}: `{command}` was sent {received.count(command)} times.")

    # --- SQLite: the request, its run, the journal, the log records, the audit chain ------
    with Store.open(world.db) as store:
        request = store.get_request(rid)
        runs = store.runs_of(rid)
        locks = [lock for lock in store.locks() if lock.owner.startswith(f"{rid}-")]
        chain = store.verify_audit()
        places = {run.id: run_messages(store, run.id) for run in runs}
        run_id = runs[0].id if runs else f"{rid}-1"
        noticed = {
            "launched": notice_ts(store, rid, "launched"),
            "blackout": notice_ts(store, run_id, "blackout"),
            "ended": notice_ts(store, run_id, "ended"),
        }
        steps = {run.id: store.run_steps(run.id) for run in runs}
        events = {run.id: store.run_events(run.id) for run in runs}
    if request.state is not expected.state:
        found.append(f"{rid}: the request is {request.state.value}, not {expected.state.value}.")
    if len(runs) != 1:
        found.append(f"{rid}: {len(runs)} runs, not one.")
    ended = expected.state in TERMINAL
    if ended and locks:
        found.append(f"{rid}: {locks[0].lpar} is still locked by {locks[0].owner}.")
    if not ended and not locks:
        found.append(f"{rid}: its LPAR is not held while its run is {expected.state.value}.")
    if not chain.intact:
        found.append(f"the audit chain is broken: {chain.problem}")
    for run in runs:
        if expected.because and expected.because not in (run.last_error or ""):
            found.append(f"{run.id}: its message does not say {expected.because!r}: "
                         f"{run.last_error!r}.")  # fmt: skip
        found += _journal(
            run.id, [(s.type, json.loads(s.payload)) for s in steps[run.id]], ended=ended
        )
        found += _log_records(
            run.id,
            [(e.offset, e.type, json.loads(e.payload)) for e in events[run.id]],
            complete=expected.state is RequestState.SUCCEEDED,
            blackout=expected.blackout,
        )

    # --- Slack: the card, one status message, one summary, the notices ----------------------
    card_now = world.slack.state.find_message(card.ts)
    if STATE_LABELS[expected.state] not in card_now.content:
        found.append(f"{rid}: the card does not show {STATE_LABELS[expected.state]!r}.")
    if actions(card_now) & {"approve", "reject", "launch"}:
        found.append(f"{rid}: the card still offers {sorted(actions(card_now))}.")
    thread = world.thread(card)
    statuses = [m for m in thread if is_status(m, card)]
    summaries = [m for m in thread if is_summary(m, card)]
    others = [m.text for m in thread if m not in statuses and m not in summaries]
    recorded = places.get(runs[0].id) if runs else None
    kills = world.kill_times
    found += _once(
        f"{rid}: status message", statuses, recorded.status_ts if recorded else None, kills
    )
    if ended:
        found += _once(
            f"{rid}: final summary", summaries, recorded.summary_ts if recorded else None, kills
        )
    elif summaries:
        found.append(f"{rid}: a summary was posted for a run that has not ended.")
    if others:
        found.append(f"{rid}: unexpected messages in the thread: {others}.")
    outcome = expected.state.value
    if ended and statuses and f": {outcome} after" not in statuses[-1].text:
        found.append(f"{rid}: the status message ends as {statuses[-1].text!r}.")
    notices = world.notices(card)
    posted = {
        "launched": [m for m in notices if m.text.startswith(":rocket:")],
        "blackout": [m for m in notices if m.text.startswith(":stopwatch:")],
        "ended": [m for m in notices if is_end_notice(m, card)],
    }
    owed = {"launched": True, "blackout": expected.blackout, "ended": ended}
    for kind, copies in posted.items():
        what = f"{rid}: {kind} notice in #{NOTICES}"
        if owed[kind]:
            found += _once(what, copies, noticed[kind], kills)
        elif copies:
            found.append(f"{what}: posted {len(copies)} times, not at all.")
    return found


IN_FLIGHT = 1.0
"""Seconds before a kill that Slack may still have acted on a call the killed lkubot had
sent (its request was on the wire): such a copy, too, was never recorded."""


def _once(
    what: str, messages: list[Message], recorded_ts: str | None, kills: list[float]
) -> list[str]:
    """One message, the one lkubot recorded. More copies only from the documented window:
    each copy but the last was never recorded because its lkubot was killed between Slack's
    post and its own save, so a kill comes after it (or at most `IN_FLIGHT` before it) and
    before the next copy. Two copies with no kill between them came from one lkubot."""
    if not messages:
        return [f"{what}: none posted."]
    if recorded_ts != messages[-1].ts:
        return [f"{what}: the recorded ts {recorded_ts} is not the last one posted."]
    for earlier, later in itertools.pairwise(messages):
        if not any(float(earlier.ts) - IN_FLIGHT <= k < float(later.ts) for k in kills):
            return [
                f"{what}: posted {len(messages)} times; {later.ts} came with no kill after "
                f"{earlier.ts}, so one lkubot posted both."
            ]
    return []


def window_duplicates(world: ChaosWorld, card: Card) -> int:
    """Messages of the run posted twice in the documented crash window (see the module):
    its status message, summary and notices."""
    thread = world.thread(card)
    notices = world.notices(card)
    kinds = [
        [m for m in thread if is_status(m, card)],
        [m for m in thread if is_summary(m, card)],
        [m for m in notices if m.text.startswith(":rocket:")],
        [m for m in notices if m.text.startswith(":stopwatch:")],
        [m for m in notices if is_end_notice(m, card)],
    ]
    return sum(max(0, len(copies) - 1) for copies in kinds)


def _journal(run_id: str, steps: list[tuple[str, dict[str, Any]]], *, ended: bool) -> list[str]:
    """Each stage started and each command sent at most once; one end (if it ended)."""
    found = []
    started = Counter(p["stage"] for t, p in steps if t == "stage_started")
    sent = Counter((p["stage"], p["index"]) for t, p in steps if t == "command_started")
    for stage, times in started.items():
        if times > 1:
            found.append(f"{run_id}: the {stage} stage was started {times} times.")
    for (stage, index), times in sent.items():
        if times > 1:
            found.append(f"{run_id}: command {index} of {stage} was sent {times} times.")
    kinds = Counter(t for t, _ in steps)
    for kind in ("operation_sent", "aftercare", "state_captured"):
        if kinds[kind] > 1:
            found.append(f"{run_id}: {kinds[kind]} {kind} steps in its journal.")
    if kinds["run_ended"] != int(ended):
        found.append(f"{run_id}: {kinds['run_ended']} run_ended steps in its journal.")
    return found


def _log_records(
    run_id: str, events: list[tuple[int, str, dict[str, Any]]], *, complete: bool, blackout: bool
) -> list[str]:
    """Every phase exactly once and in order; each log line's record saved once."""
    found = []
    repeated = [key for key, n in Counter((o, t) for o, t, _ in events).items() if n > 1]
    if repeated:
        found.append(f"{run_id}: log records saved twice: {repeated[:3]}.")
    offsets = [offset for offset, _, _ in events]
    if offsets != sorted(offsets):
        found.append(f"{run_id}: log records out of order.")
    phases = [p["index"] for _, t, p in events if t == "phase_started" and p["index"] is not None]
    if complete and phases != list(range(1, TOTAL_PHASES + 1)):
        found.append(f"{run_id}: phases {phases}, not 1 to {TOTAL_PHASES} once each in order.")
    elif phases != sorted(set(phases)):
        found.append(f"{run_id}: phases repeated or out of order: {phases}.")
    for kind in ("blackout_started", "blackout_ended", "point_of_no_return"):
        times = sum(1 for _, t, _ in events if t == kind)
        if times != (1 if blackout else 0):
            found.append(f"{run_id}: {times} {kind} records.")
    return found
