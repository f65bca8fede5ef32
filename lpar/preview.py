"""The pre stage of one LPAR: read what a live update depends on, run AIX's own preview, and
give the checklist and the fingerprint (`liveupdate.checks.PreviewResult`).

Every read is independent, so they all run at once on the LPAR's one connection (within the
connection's channel limit); the inventory's pre commands run in their order alongside. The
whole preview is bounded by `PreviewLimits.total`: what has not answered by then is a failed
item that says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from liveupdate.checks import CheckItem, PreviewOutcome, PreviewResult, UpdateKind
from lpar import remote
from lpar.checklist import (
    Reading,
    check_connection,
    check_efixes,
    check_free_disks,
    check_genld,
    check_hmc_token,
    check_lku_preview,
    check_llu_mode,
    check_llu_preview,
    check_lvupdate_data,
    check_oslevel,
    check_pre_command,
)
from lpar.inventory import Lpar
from lpar.ssh import CommandResult, Connections, SshError


class PreviewLimits(BaseModel):
    """Seconds each part of a preview may take."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    read: float = Field(default=120.0, gt=0)
    preview: float = Field(default=1800.0, gt=0)
    total: float = Field(default=2100.0, gt=0)


T = TypeVar("T")

BUSY_CODE = "1430-906"
"""What the simulator prints when another live update runs on the LPAR (SIMULATED: IBM's code
for this case is not public). A preview that meets it was not carried out."""


class Recheck(BaseModel):
    """A preview made again (at launch, before a later wave), and whether it could be done."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    result: PreviewResult
    unavailable: str | None = None
    """Why it says nothing about what was approved: a command got no answer (unreachable,
    dropped, timed out) or another live update runs there. Try again later."""


def reading_of(command: remote.RemoteCommand, result: CommandResult | SshError) -> Reading:
    """What a command gave, an SSH failure included, as the checklist reads it."""
    if isinstance(result, SshError):
        return Reading(command=command.line, error=str(result))
    return Reading(
        command=command.line,
        exit_status=result.exit_status,
        stdout=result.stdout,
        stderr=result.stderr,
    )


async def read(
    ssh: Connections,
    lpar: Lpar,
    command: remote.RemoteCommand,
    time_limit: float,
    *,
    started: asyncio.Event | None = None,
) -> Reading:
    """Run one command and keep whatever it gave, an SSH failure included. `started` is set
    once the LPAR has accepted the command, and at the latest when the read ends."""
    try:
        return reading_of(
            command, await ssh.run(lpar, command, time_limit=time_limit, started=started)
        )
    except SshError as exc:
        return reading_of(command, exc)
    finally:
        if started is not None:
            started.set()


async def _after(started: asyncio.Event, part: Callable[[], Awaitable[T]]) -> T:
    await started.wait()
    return await part()


async def _pre_commands(ssh: Connections, lpar: Lpar, time_limit: float) -> list[Reading]:
    # The admin's checks run in the order written: a later one may rely on an earlier one.
    return [
        await read(ssh, lpar, remote.configured(command), time_limit) for command in lpar.stages.pre
    ]


async def _bounded(
    parts: dict[str, Awaitable[Reading | list[Reading]]], total: float
) -> dict[str, Reading | list[Reading] | None]:
    """Each part's result, or None for a part still running after `total` seconds."""
    tasks = {name: asyncio.ensure_future(part) for name, part in parts.items()}
    try:
        await asyncio.wait(tasks.values(), timeout=total)
    finally:
        for task in tasks.values():
            task.cancel()
    return {
        name: task.result() if task.done() and not task.cancelled() else None
        for name, task in tasks.items()
    }


def _late(command: str, total: float) -> Reading:
    return Reading(
        command=command,
        error=f"`{command}` gave no answer within the preview's limit of {total:g} s.",
    )


async def preview_lpar(
    ssh: Connections,
    lpar: Lpar,
    kind: UpdateKind,
    *,
    now: datetime,
    items: Sequence[str] = ("update_all",),
    media: str | None = None,
    limits: PreviewLimits | None = None,
) -> PreviewResult:
    """Preview `kind` on `lpar`. `media` None uses the inventory's `media` (LKU only).

    Raises `pydantic.ValidationError` (before anything is sent) when `items` or `media` are
    not valid names or paths; an unreachable LPAR gives a failed result instead of an error.
    """
    checked = await recheck_lpar(ssh, lpar, kind, now=now, items=items, media=media, limits=limits)
    return checked.result


async def recheck_lpar(
    ssh: Connections,
    lpar: Lpar,
    kind: UpdateKind,
    *,
    now: datetime,
    items: Sequence[str] = ("update_all",),
    media: str | None = None,
    limits: PreviewLimits | None = None,
) -> Recheck:
    """`preview_lpar`, saying also whether the preview could be carried out at all."""
    limits = limits or PreviewLimits()
    lku = kind is UpdateKind.LKU
    media = (media or lpar.media) if lku else None
    filesets = tuple(items) if lku else ()
    preview_command = (
        remote.geninstall(filesets, media=media, preview=True)
        if lku
        else remote.llvupdate_preview()
    )

    def result(outcome: PreviewOutcome, checks: list[CheckItem], **found: str) -> PreviewResult:
        return PreviewResult(
            kind=kind,
            lpar=lpar.name,
            previewed_at=now,
            media=media,
            filesets=filesets,
            outcome=outcome,
            checks=tuple(checks),
            **found,
        )

    try:
        await ssh.connect(lpar)
    except SshError as exc:
        failed = result(PreviewOutcome.FAILED, [check_connection(lpar.name, str(exc))], oslevel="")
        return Recheck(result=failed, unavailable=str(exc))

    commands: dict[str, remote.RemoteCommand] = {
        "oslevel": remote.oslevel(),
        "emgr": remote.emgr_list(),
        "llu_mode": remote.llu_mode(),
        "genld": remote.genld(),
    }
    if lku:
        commands |= {
            "hmcauth": remote.hmcauth_list(),
            "lvupdate_data": remote.read_file(lpar.lvupdate_data),
            "lspv": remote.lspv(),
        }
    # AIX's preview takes longest, so it starts first and the reads are done while it runs.
    # They wait until the LPAR has accepted it: sent at once, a fleet's reads would queue on
    # the bot's event loop ahead of the later LPARs' previews, and so delay the whole group.
    preview_started = asyncio.Event()
    parts: dict[str, Awaitable[Reading | list[Reading]]] = {
        "preview": read(ssh, lpar, preview_command, limits.preview, started=preview_started),
        "pre": _after(preview_started, partial(_pre_commands, ssh, lpar, limits.read)),
    }
    parts |= {
        name: _after(preview_started, partial(read, ssh, lpar, command, limits.read))
        for name, command in commands.items()
    }
    answers = await _bounded(parts, limits.total)

    def reading(name: str) -> Reading:
        found = answers[name]
        if isinstance(found, Reading):
            return found
        command = preview_command if name == "preview" else commands[name]
        return _late(command.line, limits.total)

    pre = answers["pre"]
    pre_readings = pre if isinstance(pre, list) else []
    checks = [check_pre_command(n, r) for n, r in enumerate(pre_readings, start=1)]
    if not isinstance(pre, list) and lpar.stages.pre:
        checks.append(check_pre_command(1, _late("the inventory's pre commands", limits.total)))
    level_item, level = check_oslevel(reading("oslevel"))
    checks.append(level_item)
    lvupdate_data: str | None = None
    if lku:
        data = reading("lvupdate_data")
        lvupdate_data = data.stdout if data.ok else None
        checks += [
            check_hmc_token(reading("hmcauth"), lvupdate_data, lpar.hmc),
            check_lvupdate_data(data),
            check_free_disks(reading("lspv"), lvupdate_data),
        ]
    checks += [
        check_efixes(reading("emgr"), kind),
        check_llu_mode(reading("llu_mode"), kind, lvupdate_data),
        check_genld(reading("genld"), kind),
    ]
    preview = reading("preview")
    verdict, outcome = check_lku_preview(preview) if lku else check_llu_preview(preview)
    checks.append(verdict)
    done = result(
        outcome,
        checks,
        oslevel=level,
        lvupdate_data=lvupdate_data or "",
        raw_output=preview.output if preview.error is None else preview.error,
    )
    readings = [*pre_readings, *(reading(name) for name in ("preview", *commands))]
    return Recheck(result=done, unavailable=_unavailable(readings, preview))


def _unavailable(readings: Sequence[Reading], preview: Reading) -> str | None:
    """Why the readings say nothing about the LPAR, if they do not."""
    if BUSY_CODE in preview.output:
        return f"another live update runs there (`{preview.command}`: {preview.last_line()})"
    lost = next((r for r in readings if r.error is not None), None)
    return f"`{lost.command}` got no answer: {lost.error}" if lost is not None else None
