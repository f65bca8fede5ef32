"""`/lku resolve RUN succeeded|failed REASON`, for admins: close a run lkubot has lost track
of (its log vanished, the operation is gone without its exit line, the LPAR is out of reach),
after checking the LPAR. The run ends as the admin says, its LPAR is free again, the audit
trail holds who and why, and its request goes on (the next wave, or its end)."""

from __future__ import annotations

from typing import Literal

from commands.admins import require_admin_of
from commands.services import Services
from liveupdate.runs import Run
from storage.store import Store


async def resolve(
    services: Services,
    run_id: str,
    user: str,
    *,
    outcome: Literal["succeeded", "failed"],
    reason: str,
) -> Run:
    run = await services.store.call(Store.get_run, run_id)
    request = await services.store.call(Store.get_request, run.request_id)
    await require_admin_of(services, user, request, f"close {run.id} on {run.lpar} by hand")
    return await services.engine.resolve(run_id, outcome=outcome, by=user, reason=reason)
