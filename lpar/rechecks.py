"""What a preview made again before a launch decides, besides the fingerprint comparison that
storage makes (and that voids the request when what was approved has changed).

A new preview that could not be carried out (the LPAR unreachable, a command without an
answer, another live update running there) says nothing about what was approved: the launch
is refused and the request stays approved, to be launched again later. A new preview that
sees what was approved but where a check fails now (a failing pre command, a lost HMC token,
a disk now in use, an interim fix waiting for a reboot) refuses the launch too: the approvals
stand, since what they approved has not changed, but nothing starts until the checks pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from liveupdate.checks import PreviewResult
from liveupdate.requests import Request
from lpar.inventory import Lpar
from lpar.preview import Recheck, recheck_lpar
from lpar.refusals import RecheckFailed, RecheckUnavailable
from lpar.run_base import RunContext

_LISTED = 5
"""Failed checks named in a refusal; the card's checklist has them all."""


async def recheck(ctx: RunContext, lpar: Lpar, approved: PreviewResult) -> Recheck:
    """Preview `lpar` again as `approved` was made: the same kind, filesets and media."""
    return await recheck_lpar(
        ctx.ssh,
        lpar,
        approved.kind,
        now=ctx.clock(),
        items=approved.filesets or ("update_all",),
        media=approved.media,
        limits=ctx.options.preview_limits,
    )


def refuse_rechecks(request: Request, rechecks: Sequence[Recheck]) -> None:
    """Raise the refusal the new previews of `request` call for, if any."""
    for recheck in rechecks:
        if recheck.unavailable is not None:
            raise RecheckUnavailable(unavailable_sentence(request, recheck))
    approved = request.fingerprints
    for recheck in rechecks:
        result = recheck.result
        if result.fingerprint == approved.get(result.lpar) and result.blocked:
            failed = "; ".join(f"{c.title}: {c.summary}" for c in result.failed_checks[:_LISTED])
            raise RecheckFailed(
                f"lkubot previewed {result.lpar} again and checks fail there now ({failed}). "
                f"Fix them and launch {request.id} again: it stays approved, since what was "
                "approved has not changed."
            )


def unavailable_sentence(request: Request, recheck: Recheck) -> str:
    return (
        f"lkubot could not preview {recheck.result.lpar} again just now, so it cannot tell "
        f"whether what was approved still holds: {recheck.unavailable}. {request.id} stays "
        "approved: launch it again in a few minutes."
    )
