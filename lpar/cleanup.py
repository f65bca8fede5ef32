"""The clean-up an admin asks for after a failed or cancelled run: `clvupdate` after a live
kernel update, `cllvupdate -u` after a live library update.

It changes a production LPAR, so storage holds the LPAR's lock while it runs and records who
ran it and what it gave (`storage.cleanups`): refused while an admin's hold, a run or another
clean-up is there, after a run that did not fail, and under an offer an older run made. The
command is sent once; an SSH failure is its outcome, not a reason to send it again.
"""

from __future__ import annotations

from liveupdate.checks import UpdateKind
from lpar import remote
from lpar.inventory import Inventory
from lpar.progress import CommandOutcome
from lpar.run_base import RunContext
from lpar.ssh import SshError


async def clean_up(
    ctx: RunContext, inventory: Inventory, run_id: str, *, by: str
) -> CommandOutcome:
    """Run the clean-up after `run_id` for `by` (the caller checked they are an admin)."""
    records = ctx.records
    run = await records.get_run(run_id)
    request = await records.get_request(run.request_id)
    lpar = inventory.lpar(run.lpar)
    command = remote.clvupdate() if request.kind is UpdateKind.LKU else remote.cllvupdate()
    await records.begin_cleanup(run_id, by=by, command=command.line, now=ctx.clock())
    try:
        result = await ctx.ssh.run(lpar, command, time_limit=ctx.options.cleanup_time_limit)
        outcome = CommandOutcome(
            command=command.line,
            exit_status=result.exit_status,
            last_lines=tuple(result.last_lines()),
        )
    except SshError as exc:
        outcome = CommandOutcome(command=command.line, exit_status=None, error=str(exc))
    await records.end_cleanup(
        run_id,
        by=by,
        command=command.line,
        exit_status=outcome.exit_status,
        error=outcome.error,
        now=ctx.clock(),
    )
    return outcome
