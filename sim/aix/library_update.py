"""Live Library Update: `llvupdate -P`, `llvupdate -a|-p ... [-n N] [-t T] [-l LOG]` and
`cllvupdate -u`.

The preview lines and "No process requires a Live library Update operation." / "No clean up
is required" are AIX's (from the seed write-up). No capture of a real `llvupdate -a` run was
found, so the run's lines are the simulator's own: SIMULATED WORDING.
"""

from __future__ import annotations

import asyncio
import getopt

from sim.aix.aix_commands import not_simulated
from sim.aix.kernel_update import refused_while_busy
from sim.aix.logs import LogFile
from sim.aix.process import Invocation
from sim.aix.state import LluProcess, LparState

NO_PROCESS = "No process requires a Live library Update operation."
LOG_DIR = "/var/adm/ras/liveupdate/logs"
DEFAULT_RETRIES = 3
DEFAULT_TIMEOUT = 30
MAX_TIMEOUT = 300
# Invented: how long one process takes to move to the new library, in virtual seconds.
SECONDS_PER_PROCESS = 1.0


class _Tee:
    """Writes to the session (or the detached log) and to llvupdate's own log file."""

    def __init__(self, inv: Invocation, log: LogFile) -> None:
        self._inv, self._log = inv, log

    def line(self, text: str, *, output: bool = True, log: bool = True) -> None:
        if output:
            self._inv.out.write(text + "\n")
        if log:
            self._log.write(text + "\n")


def candidates(state: LparState) -> list[LluProcess]:
    """LLU-capable processes with a newer library; none while LLU is switched off."""
    return [] if state.llu_mode == 0 else list(state.llu_processes)


def render_llu_preview(processes: list[LluProcess]) -> list[str]:
    lines = ["llvupdate preview"]
    if not processes:
        return [*lines, NO_PROCESS]
    validated: set[str] = set()
    for process in processes:
        lines.append(f"An LLU-capable library is newer for process {process.pid}.")
        lines.append(f"Library needs to be updated {process.module}")
        if process.module not in validated:
            validated.add(process.module)
            lines.append(f"Validating new module {process.module}")
    return lines


def _pids(value: str) -> list[int] | None:
    try:
        return [int(word) for word in value.split()]
    except ValueError:
        return None


async def llvupdate(inv: Invocation) -> int:
    try:
        options, rest = getopt.getopt(inv.argv[1:], "Pap:e:n:t:l:")
    except getopt.GetoptError:
        return not_simulated(inv)
    flags = dict(options)
    modes = [flag for flag in ("-P", "-a", "-p") if flag in flags]
    if rest or len(modes) != 1 or ("-e" in flags and "-a" not in flags):
        return not_simulated(inv)
    lpar = inv.lpar
    if refused_while_busy(inv):
        return 1
    log_path = flags.get("-l") or f"{LOG_DIR}/llvupdlog.{lpar.clock.now():%Y%m%d.%H%M%S}"
    tee = _Tee(inv, lpar.open_log(log_path))
    found = candidates(lpar.state)
    if modes == ["-P"]:
        for line in render_llu_preview(found):
            tee.line(line)
        return 0
    try:
        retries = int(flags.get("-n", DEFAULT_RETRIES))
        timeout = int(flags.get("-t", DEFAULT_TIMEOUT))
    except ValueError:
        return not_simulated(inv)
    if retries < 0 or not 1 <= timeout <= MAX_TIMEOUT:
        # SIMULATED WORDING
        inv.out.write_stderr(
            f"llvupdate: the retries must be at least 0 and the timeout 1 to {MAX_TIMEOUT} "
            "seconds.\n"
        )
        return 2
    if "-p" in flags:
        chosen = _pids(flags["-p"])
        if not chosen:
            return not_simulated(inv)
        targets = [p for p in found if p.pid in chosen]
    else:
        excluded = _pids(flags.get("-e", ""))
        if excluded is None:
            return not_simulated(inv)
        targets = [p for p in found if p.pid not in excluded]
    if not targets:
        tee.line(NO_PROCESS)
        return 0
    inv.process.kind = "llu"
    try:
        return await _update(inv, tee, targets, retries, timeout)
    except asyncio.CancelledError:
        lpar.state.llu_cleanup_pending = True
        raise


def _timing_out(state: LparState, targets: list[LluProcess]) -> set[int]:
    fault = state.faults.llu_timeouts
    if fault is None:
        return set()
    return set(fault.pids) | {p.pid for p in targets[: fault.count]}


async def _update(
    inv: Invocation, tee: _Tee, targets: list[LluProcess], retries: int, seconds: int
) -> int:
    state, clock = inv.lpar.state, inv.lpar.clock
    stuck = _timing_out(state, targets)
    updated: list[int] = []
    # SIMULATED WORDING from here on.
    tee.line(
        f"Live library update of {len(targets)} processes "
        f"(retries {retries}, timeout {seconds} seconds)."
    )
    quiet = state.faults.llu_unreported
    for process in targets:
        if process.pid not in stuck:
            await clock.sleep(SECONDS_PER_PROCESS)
            silent = quiet is not None and process.pid in quiet.pids
            tee.line(
                f"Process {process.pid} ({process.name}) now uses the new {process.module}.",
                output=not silent,
                log=not silent or (quiet is not None and quiet.in_own_log),
            )
            updated.append(process.pid)
            continue
        # -n counts retries after the first attempt (the seed write-up's "tries it 2 times"
        # for -n2 may mean otherwise: unconfirmed).
        attempts = retries + 1
        for attempt in range(1, attempts + 1):
            await clock.sleep(seconds)
            tee.line(
                f"Attempt {attempt} of {attempts} for process {process.pid} ({process.name}) "
                f"timed out after {seconds} seconds."
            )
        tee.line(f"Process {process.pid} ({process.name}) was not updated.")
    failed = len(targets) - len(updated)
    state.llu_processes = [p for p in state.llu_processes if p.pid not in updated]
    state.old_object_processes = [p for p in state.old_object_processes if p.pid not in updated]
    tee.line(
        f"Live library update finished: {len(updated)} of {len(targets)} processes updated, "
        f"{failed} failed."
    )
    if failed:
        state.llu_cleanup_pending = True
        tee.line("Run 'cllvupdate -u' to clean up the failed operation.")
        return 1
    return 0


async def cllvupdate(inv: Invocation) -> int:
    if inv.argv[1:] != ["-u"]:
        return not_simulated(inv)
    if refused_while_busy(inv):
        return 1
    state = inv.lpar.state
    if not state.llu_cleanup_pending:
        inv.out.write("No clean up is required\n")
        return 0
    await inv.lpar.clock.sleep(SECONDS_PER_PROCESS)
    state.llu_cleanup_pending = False
    # SIMULATED WORDING
    inv.out.write("Clean up of the failed Live library Update operation completed.\n")
    return 0
