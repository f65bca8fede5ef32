"""`/lku cleanup RUN` and [Clean up] under a failed run, for admins: `clvupdate` on the LPAR
after a live kernel update, `cllvupdate -u` after a live library update (the engine picks by
the update's kind). It holds the LPAR while it runs and is audited (`lpar.cleanup`)."""

from __future__ import annotations

from commands.admins import require_admin_of
from commands.services import Services
from liveupdate.runs import Run
from lpar.progress import CommandOutcome
from storage.store import Store


async def check(services: Services, run_id: str, user: str) -> Run:
    """The run to clean up after, once `user` is known to be an admin for it."""
    run = await services.store.call(Store.get_run, run_id)
    request = await services.store.call(Store.get_request, run.request_id)
    await require_admin_of(services, user, request, f"clean up after {run.id} on {run.lpar}")
    return run


async def cleanup(services: Services, run: Run, user: str) -> CommandOutcome:
    """Run the clean-up after `run` (from `check`) and say how it went."""
    return await services.engine.cleanup(run.id, by=user)
