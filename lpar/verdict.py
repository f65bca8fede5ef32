"""How a run's operation ended, from what its log said: succeeded, failed, or unverified.

Pure: the run driver reads the log (and, for a live library update, llvupdate's own `-l`
log) and hands the results here. A live kernel update failed when it exited non-zero or AIX
printed a fatal 1430 message. A live library update failed when it exited non-zero or a
process failed or timed out; it is *unverified* when it exited 0 but some process it should
have moved has no result in either account (IBM has not published llvupdate's output, so
lkubot does not call silence a success). Both failures and unverified runs offer their
clean-up command, which an admin runs when they have looked.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from liveupdate.llu import LluReport
from liveupdate.lvlog import LiveUpdateSummary
from lpar import remote
from lpar.progress import RunOutcome


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: RunOutcome
    note: str | None = None
    """Why it failed or is unverified, in a sentence or two."""
    cleanup: str | None = None
    """The clean-up command to offer."""


def judge_lku(exit_code: int, summary: LiveUpdateSummary) -> Verdict:
    fatal = [e for e in summary.errors if e.fatal]
    if exit_code == 0 and not fatal:
        return Verdict(outcome="succeeded")
    said = f"{fatal[0].code} {fatal[0].message}" if fatal else "no 1430 message"
    return Verdict(
        outcome="failed",
        note=(
            f"The live update failed with exit status {exit_code}: {said}. Clean up with "
            "`clvupdate` before the next preview."
        ),
        cleanup=remote.clvupdate().line,
    )


def judge_llu(
    exit_code: int, report: LluReport, *, log_path: str, log_problem: str | None
) -> Verdict:
    """`report`: both accounts merged, the processes expected and named in neither included
    as `unknown`; `log_problem`: why llvupdate's own log could not be read, if it could not."""
    cleanup = remote.cllvupdate().line
    stuck = [p for p in report.processes if p.outcome in ("failed", "timed_out")]
    if exit_code != 0 or stuck:
        pids = ", ".join(f"{p.pid} ({p.outcome.replace('_', ' ')})" for p in stuck)
        return Verdict(
            outcome="failed",
            note=(
                f"The live library update exited with status {exit_code}"
                + (f"; not updated: {pids}" if pids else "")
                + ". `cllvupdate -u` cleans up."
            ),
            cleanup=cleanup,
        )
    unconfirmed = [str(p.pid) for p in report.processes if p.outcome == "unknown"]
    if not unconfirmed:
        return Verdict(outcome="succeeded")
    unread = f" (lkubot could not read that log: {log_problem})" if log_problem else ""
    return Verdict(
        outcome="unverified",
        note=(
            f"The live library update exited with status 0, but neither its output nor its log "
            f"{log_path}{unread} says how process(es) {', '.join(unconfirmed)} fared, so lkubot "
            "does not call it a success. Check on the LPAR (`genld -u` lists processes still on "
            "old libraries), then clean up with `cllvupdate -u` if needed."
        ),
        cleanup=cleanup,
    )
