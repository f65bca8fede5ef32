"""`/lku launch ID [override REASON]` and [Launch]: start an approved request.

The engine checks the rules again (the clicker, not the message, is authorised), previews
again and lets storage compare fingerprints, with the user groups' members asked again after
that preview; the runs go on in the engine's background.
"""

from __future__ import annotations

from functools import partial

from commands.services import Services
from liveupdate.runs import Launched
from storage.store import Store


async def launch(
    services: Services, request_id: str, user: str, override_reason: str | None = None
) -> Launched:
    request = await services.store.call(Store.get_request, request_id)
    return await services.engine.launch(
        request_id,
        user=user,
        policy=await services.policy_of(request),
        override_reason=override_reason,
        # The new preview takes minutes on AIX: the user groups are asked again after it.
        refresh_policy=partial(services.policy_of, request),
    )
