"""Requests, runs and snapshots for the view tests, built from the real captured samples, and a
check of every message against the Slack emulator's independent reading of Block Kit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.views.message import ModalView, SlackMessage
from liveupdate.checks import CheckItem, CheckStatus, PreviewOutcome, PreviewResult, UpdateKind
from liveupdate.lvevents import (
    BlackoutEnded as LogBlackoutEnded,
)
from liveupdate.lvevents import (
    BlackoutStarted as LogBlackoutStarted,
)
from liveupdate.lvevents import (
    ErrorReported,
    LogEvent,
    PhaseStarted,
    PointOfNoReturnPassed,
)
from liveupdate.lvlog import LogFollower
from liveupdate.requests import Request, RequestState
from liveupdate.runs import Run, RunState
from lpar.aftercare import Aftercare, Readings, compare_states
from lpar.progress import (
    AixError,
    BlackoutEnded,
    BlackoutStarted,
    CommandOutcome,
    PhaseReached,
    PointOfNoReturn,
    Progress,
)
from lpar.snapshot import RunSnapshot, StageView
from sim.slack.blockkit import check_blocks, check_view, text_of
from tests.liveupdate.samples import sample, success_lines
from tests.policy.factory import SATURDAY_NIGHT, make_preview

RUN_ID = "LU-17-1"
LOG_PATH = "/var/adm/ras/liveupdate/logs/lkubot-LU-17-1.log"
LAUNCHED = SATURDAY_NIGHT + timedelta(minutes=30)
PREP = ("stopsrc -s pfcdaemon", "/etc/rc.d/ipfilter.sh unload")
POST = ("startsrc -s pfcdaemon", "/etc/rc.d/ipfilter.sh load")


def valid(message: SlackMessage) -> dict[str, Any]:
    """The message as Slack would take it: no complaint from the emulator's Block Kit checker,
    a fallback text, within 50 blocks. Returns its blocks' words for assertions."""
    blocks = list(message.blocks)
    assert check_blocks(blocks) == [], check_blocks(blocks)
    assert message.text.strip()
    return {"text": text_of(blocks), "blocks": blocks}


def valid_view(modal: ModalView) -> dict[str, Any]:
    assert check_view(modal.view) == [], check_view(modal.view)
    return modal.view


def elements(message: SlackMessage) -> list[dict[str, Any]]:
    """Every interactive element, in reading order."""
    found = []
    for block in message.blocks:
        if block["type"] == "actions":
            found.extend(block["elements"])
        elif "accessory" in block:
            found.append(block["accessory"])
    return found


def action_ids(message: SlackMessage) -> list[str]:
    return [e["action_id"] for e in elements(message)]


def sample_checks(*, hmc_token: bool = True) -> tuple[CheckItem, ...]:
    """A checklist whose evidence is the real captured output of each command."""
    oslevel = sample("oslevel-s-1.txt").splitlines()[1]
    return (
        CheckItem(
            key="oslevel",
            title="AIX level",
            status=CheckStatus.PASS,
            summary=oslevel,
            evidence=sample("oslevel-s-1.txt"),
        ),
        CheckItem(
            key="hmc_token",
            title="HMC token",
            status=CheckStatus.PASS if hmc_token else CheckStatus.FAIL,
            summary="192.168.199.50 as liveup" if hmc_token else "no HMC token: run hmcauth",
            evidence=sample("hmcauth-l-1.txt") if hmc_token else "$ hmcauth -l\n",
        ),
        CheckItem(
            key="lvupdate_data",
            title="lvupdate.data",
            status=CheckStatus.WARN,
            summary="no `general:` stanza: kext_check and cpu_reduction keep their defaults",
            evidence=sample("lvupdate-data-hmc-1.txt"),
        ),
        CheckItem(
            key="interim_fixes",
            title="Interim fixes",
            status=CheckStatus.PASS,
            summary="3 fixes, none waiting for a reboot",
            evidence=sample("emgr-l-1.txt"),
        ),
    )


def preview(lpar: str = "lpar01", *, failed: bool = False) -> PreviewResult:
    base = make_preview(lpar, outcome=PreviewOutcome.FAILED if failed else PreviewOutcome.PASSED)
    return base.model_copy(update={"checks": sample_checks(hmc_token=not failed)})


def run(state: RunState = RunState.RUNNING, **changes: object) -> Run:
    data: dict[str, object] = {
        "id": RUN_ID,
        "request_id": "LU-17",
        "number": 1,
        "lpar": "lpar01",
        "state": state,
        "remote_pid": 4718834,
        "log_path": LOG_PATH,
        "started_at": LAUNCHED,
    }
    data.update(changes)
    return Run.model_validate(data)


def done(command: str, exit_status: int = 0, *lines: str) -> CommandOutcome:
    return CommandOutcome(command=command, exit_status=exit_status, last_lines=lines, seconds=0.4)


def stages(
    *, prep: str = "done", lu: str = "running", post: str = "pending"
) -> tuple[StageView, ...]:
    return (
        StageView(
            stage="prep",
            state=prep,  # type: ignore[arg-type]
            commands=tuple(done(c) for c in PREP) if prep == "done" else (),
        ),
        StageView(stage="lu", state=lu),  # type: ignore[arg-type]
        StageView(
            stage="post",
            state=post,  # type: ignore[arg-type]
            commands=tuple(done(c) for c in POST) if post == "done" else (),
        ),
    )


def lines_until(text: str) -> int:
    """How many lines of the real transcript go up to and including the one with `text`."""
    return next(n for n, line in enumerate(success_lines(), start=1) if text in line)


def lku_snapshot(
    lines: int | None = None,
    *,
    log: list[str] | None = None,
    outcome: str | None = None,
    elapsed: float = 300.0,
    **changes: object,
) -> RunSnapshot:
    """The run after reading the first `lines` lines of a log (the real successful one by
    default), as the engine would show it."""
    log = success_lines() if log is None else log
    follower = LogFollower.replay(log[: len(log) if lines is None else lines])
    if lines is None or outcome is not None:
        follower.finish()
    summary = follower.summary()
    state = {
        None: RunState.RUNNING,
        "succeeded": RunState.SUCCEEDED,
        "failed": RunState.FAILED,
        "cancelled": RunState.CANCELLED,
    }[outcome]
    data: dict[str, object] = {
        "run": run(state, point_of_no_return=summary.point_of_no_return_passed),
        "kind": UpdateKind.LKU,
        "stages": stages(
            lu="running" if outcome is None else ("done" if outcome == "succeeded" else "failed"),
            post="done" if outcome == "succeeded" else "pending",
        ),
        "phases": summary.phases,
        "phase_index": summary.current_index,
        "current_phase": summary.current_phase.message if summary.current_phase else None,
        "point_of_no_return": summary.point_of_no_return_passed,
        "in_blackout": summary.in_blackout,
        "blackout_seconds": summary.blackout_seconds,
        "elapsed_seconds": elapsed,
        "lpar_seconds": summary.total_seconds,
        "errors": summary.errors,
        "modified_files": summary.modified_files,
        "outcome": outcome,
    }
    data.update(changes)
    return RunSnapshot.model_validate(data)


def unified_diff(path: str, removed: list[str], added: list[str]) -> str:
    hunk = f"@@ -1,{len(removed)} +1,{len(added)} @@"
    body = [f"-{line}" for line in removed] + [f"+{line}" for line in added]
    return "\n".join([f"--- {path}.orig", f"+++ {path}", hunk, *body]) + "\n"


def aftercare(*, diff: str | None = None, genld: str = "", raised: bool = True) -> Aftercare:
    """Before and after readings: the real lparstat -i, and after it the surrogate's (a new
    partition number and, when `raised`, the raised maximum of virtual CPUs)."""
    before = sample("lparstat-i-1.txt")
    after = before.replace(
        "Partition Number                           : 13",
        "Partition Number                           : 14",
    )
    if raised:
        after = after.replace(
            "Maximum Virtual CPUs                       : 8",
            "Maximum Virtual CPUs                       : 10",
        )
    if diff is None:
        diff = unified_diff(
            "/etc/inittab",
            ["srcmstr:23456789:respawn:/usr/sbin/srcmstr"],
            ["srcmstr:23456789:respawn:/usr/sbin/srcmstr # SRC master"],
        )
    return compare_states(
        Readings(oslevel="7300-02-02-2420\n", lparstat=before),
        Readings(oslevel="7300-03-01-2446\n", lparstat=after, genld=genld, config_diff=diff),
    )


def progress_of(event: LogEvent, at: datetime, of: Run | None = None) -> Progress | None:
    """The engine's progress event for one event of the log reader, in the run `of`."""
    of = of or run()
    common: dict[str, Any] = {
        "request_id": of.request_id,
        "run_id": of.id,
        "lpar": of.lpar,
        "at": at,
    }
    match event:
        case PhaseStarted():
            return PhaseReached(
                **common,
                message=event.message,
                index=event.index,
                total=event.total,
                lpar_time=event.at,
                blackout=event.blackout,
                line=event.line,
            )
        case PointOfNoReturnPassed():
            return PointOfNoReturn(**common, inferred=event.inferred, line=event.line)
        case LogBlackoutStarted():
            return BlackoutStarted(**common, lpar_time=event.at, line=event.line)
        case LogBlackoutEnded():
            return BlackoutEnded(**common, seconds=event.seconds, line=event.line)
        case ErrorReported():
            return AixError(
                **common,
                code=event.code,
                message=event.message,
                advice=event.advice,
                fatal=event.fatal,
                line=event.line,
            )
    return None


def request_in(state: RequestState, request: Request, **changes: object) -> Request:
    """`request` moved to `state` by hand, for views of states the tests do not walk to."""
    return request.model_copy(update={"state": state, **changes})
