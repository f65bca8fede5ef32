"""Live Kernel Update: `geninstall -k [-p] [-d MEDIA] LIST` and `clvupdate`.

The run replays the real transcript on the LPAR's virtual clock. Timestamps are computed from
the schedule, not read after each sleep, so the 21 s blackout of the capture reads 21 s at any
speed. Faults from `state.faults` are read at each phase, so a test may set them mid-run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import getopt
from datetime import datetime, timedelta

from sim.aix.aix_commands import not_simulated
from sim.aix.config_diff import render_config_diff, watched_files
from sim.aix.logs import LogFile
from sim.aix.preview import (
    HMC_AUTH_FAILED,
    PREVIEW_SECONDS,
    PREVIEW_SUCCEEDED,
    PreviewVerdict,
    check_preview,
    clones_from_profile,
)
from sim.aix.process import Invocation, Output
from sim.aix.stanzas import disk_names
from sim.aix.state import Efix, LparState
from sim.aix.transcript import Step, format_duration, format_timestamp, load_transcript

DEFAULT_MEDIA = "/usr/sys/inst.images"
AIX_LOG = "/var/adm/ras/liveupdate/logs/lvupdlog"
"""AIX's own account of its live updates, one operation after the other. SIMULATED: the name
is IBM's usual one and its lines are the operation's own output, unconfirmed by a capture."""


class _AixLog:
    """The operation's output, also appended to AIX's own log (`Output`)."""

    def __init__(self, out: Output, log: LogFile | None) -> None:
        self._out = out
        self.log = log or LogFile(AIX_LOG)

    def write(self, text: str) -> None:
        self._out.write(text)
        self.log.write(text)

    def write_stderr(self, text: str) -> None:
        self._out.write_stderr(text)
        self.log.write(text)


# Invented durations (virtual seconds): no capture shows how long these take.
CLEANUP_SECONDS = 30.0


def refused_while_busy(inv: Invocation) -> bool:
    """Refuse when another live update runs on this LPAR (LKU and LLU never run at the same
    time on one LPAR). SIMULATED WORDING."""
    for process in inv.lpar.processes.values():
        if process is not inv.process and process.kind is not None:
            inv.out.write(
                f"1430-906 FAILED: A live update operation is already running "
                f"(process {process.pid}: {process.command}).\n"
            )
            return True
    return False


async def geninstall(inv: Invocation) -> int:
    try:
        options, install = getopt.getopt(inv.argv[1:], "kpYd:")
    except getopt.GetoptError:
        return not_simulated(inv)
    flags = dict(options)
    if "-k" not in flags:
        return not_simulated(inv)
    if not install:
        # SIMULATED WORDING
        inv.out.write_stderr(
            "geninstall: a list of filesets or fixes is required (update_all, all or names).\n"
        )
        return 2
    media = flags.get("-d", DEFAULT_MEDIA)
    if refused_while_busy(inv):
        return 1
    if "-p" in flags:
        return await _preview(inv, media, install)
    inv.process.kind = "lku"  # from now on, no second live update may start
    aix_log = _AixLog(inv.out, inv.lpar.logs.get(AIX_LOG))
    inv.lpar.logs[AIX_LOG] = aix_log.log
    inv = dataclasses.replace(inv, out=aix_log)
    try:
        await inv.lpar.clock.sleep(PREVIEW_SECONDS)
        verdict = check_preview(inv.lpar.state, media, install)
        if not verdict.ok:
            inv.out.write("".join(line + "\n" for line in verdict.lines))
            return verdict.exit_code
        return await _replay(inv, verdict, install)
    except asyncio.CancelledError:
        # Stopped by TERM or a hangup: what the operation had begun needs `clvupdate`.
        inv.lpar.state.lku_cleanup_pending = True
        raise


async def _preview(inv: Invocation, media: str, install: list[str]) -> int:
    await inv.lpar.clock.sleep(PREVIEW_SECONDS)
    verdict = check_preview(inv.lpar.state, media, install)
    inv.out.write("".join(line + "\n" for line in verdict.lines))
    if verdict.ok:
        inv.out.write(f"{format_timestamp(inv.lpar.clock.now())} {PREVIEW_SUCCEEDED}\n")
    return verdict.exit_code


def _pause(previous: Step, step: Step, state: LparState, phase_index: dict[str, int]) -> float:
    seconds = step.offset - previous.offset
    slow = state.faults.slow
    if slow is not None and phase_index[step.key] >= phase_index[slow.phase]:
        seconds *= slow.factor
    return seconds


async def _replay(inv: Invocation, verdict: PreviewVerdict, install: list[str]) -> int:
    lpar, state = inv.lpar, inv.lpar.state
    transcript = load_transcript()
    phase_index = {key: index for index, key in enumerate(transcript.phase_keys)}
    at = lpar.clock.now().replace(microsecond=0)
    started = at
    previous = transcript.steps[0]
    for step in transcript.steps:
        at += timedelta(seconds=_pause(previous, step, state, phase_index))
        previous = step
        await lpar.clock.sleep_until(at)
        if step.key == "starting":
            started = at
        message = step.message
        if step.key == "completed":
            elapsed = format_duration((at - started).total_seconds())
            message = f"Live AIX update completed in {elapsed}."
        inv.out.write(f"{format_timestamp(at)} {message}\n" if step.timestamped else message + "\n")
        if step.key == "banner":
            inv.process.lock_in()
        faults = state.faults
        if faults.drop is not None and faults.drop.phase == step.key:
            lpar.drop_connections(faults.drop.seconds)
        if step.key == "workload_on_surrogate":
            _become_surrogate(inv, verdict, install)
        if faults.hang is not None and faults.hang.phase == step.key:
            if faults.hang.seconds is None:
                await asyncio.Event().wait()  # a hang: only a kill or the fleet's end stops it
            at += timedelta(seconds=faults.hang.seconds or 0)
            await lpar.clock.sleep_until(at)
        if faults.fail_at is not None and faults.fail_at.phase == step.key:
            return await _fail(inv, at, step)
    _finish(inv, started, at)
    return 0


async def _fail(inv: Invocation, at: datetime, step: Step) -> int:
    failure = inv.lpar.state.faults.fail_at
    assert failure is not None
    transcript = load_transcript()
    following = transcript.steps[
        min(transcript.phase_keys.index(step.key) + 1, len(transcript.steps) - 1)
    ]
    # The failure comes midway through the phase (at least a second after its line).
    at += timedelta(seconds=max(1.0, (following.offset - step.offset) / 2))
    await inv.lpar.clock.sleep_until(at)
    inv.out.write(f"{format_timestamp(at)} {failure.error}\n")
    inv.out.write("".join(line + "\n" for line in failure.advice))
    inv.lpar.state.lku_cleanup_pending = True
    return failure.exit_code


def _become_surrogate(inv: Invocation, verdict: PreviewVerdict, install: list[str]) -> None:
    """From the end of the blackout the workload runs on the surrogate: new level, new
    partition id, rootvg on the new disks, and the HMC profile's maxima when cloned from it."""
    state = inv.lpar.state
    fixes = [name for name in install if name.endswith((".epkg.Z", ".epkg"))]
    if fixes and len(fixes) == len(install):
        for name in fixes:
            label = name.split("/")[-1].split(".")[0][:10]
            state.efixes.append(Efix(label=label, abstract=f"{label} applied by live update"))
    else:
        state.oslevel = state.after_update.oslevel
    hmc = verdict.settings.get("hmc", {})
    state.lparstat["Partition Number"] = hmc.get("lpar_id") or str(
        inv.lpar.next_partition_number(state.placement.managed_system)
    )
    if clones_from_profile(verdict.settings):
        state.lparstat.update(state.after_update.raised_profile)
    disks = verdict.settings.get("disks", {})
    new_rootvg = set(disk_names(disks.get("nhdisk", "")))
    released = set(disk_names(disks.get("mhdisk", "")))
    released.update(d.name for d in state.disks if d.volume_group == "rootvg")
    for disk in state.disks:
        if disk.name in new_rootvg:
            disk.volume_group, disk.active = "rootvg", True
        elif disk.name in released:
            disk.volume_group, disk.active = "None", False


def _finish(inv: Invocation, started: datetime, ended: datetime) -> None:
    state = inv.lpar.state
    watched = watched_files(state.check_config_files)
    changed = [path for path in state.after_update.changed_files if path in watched]
    state.old_object_processes = [p.model_copy() for p in state.after_update.old_object_processes]
    state.llu_processes = [p.model_copy() for p in state.after_update.llu_processes]
    if not changed:
        return
    state.config_diff = render_config_diff(changed, started, ended)
    inv.out.write("".join(f"File {path} has been modified.\n" for path in changed))
    inv.out.write(
        "One or more of the files listed in /etc/check_config.files have changed.\n"
        "See /var/adm/ras/config.diff for details.\n"
    )


async def clvupdate(inv: Invocation) -> int:
    if inv.argv[1:]:
        return not_simulated(inv)
    state = inv.lpar.state
    if refused_while_busy(inv):
        return 1
    if not state.lku_cleanup_pending:
        return 0
    if state.hmc_token is None:
        inv.out.write("".join(line + "\n" for line in HMC_AUTH_FAILED))
        return 1
    await inv.lpar.clock.sleep(CLEANUP_SECONDS)
    state.lku_cleanup_pending = False
    # SIMULATED WORDING
    inv.out.write("The cleanup of the previous live update operation completed.\n")
    return 0
