"""`/lku cancel ID` and [Cancel]: withdraw a request, or stop its run before the point of no
return (the engine refuses after it, sending nothing to the LPAR)."""

from __future__ import annotations

from commands.services import Services
from liveupdate.requests import Cancel, Request, RequestState
from lpar.engine import CancelSent
from storage.store import Store


async def cancel(services: Services, request_id: str, user: str) -> Request | CancelSent:
    """The cancelled request, or what the engine sent to stop its running runs."""
    request = await services.store.call(Store.get_request, request_id)
    if request.state in (RequestState.RUNNING, RequestState.UNKNOWN):
        policy = await services.policy_of(request)
        return await services.engine.cancel(request_id, user=user, policy=policy)
    return await services.decide(request_id, Cancel(user=user))
