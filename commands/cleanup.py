"""[Clean up] under a failed run, for admins: `clvupdate` on the LPAR after a live kernel
update, `cllvupdate -u` after a live library update (the engine picks by the update's kind)."""

from __future__ import annotations

from commands.services import Services
from liveupdate.checks import UpdateKind
from liveupdate.errors import NotPermitted
from lpar.progress import CommandOutcome


async def cleanup(services: Services, lpar: str, user: str, kind: UpdateKind) -> CommandOutcome:
    group = services.inventory.lpar(lpar).group
    if not await services.is_admin(user, group=group):
        raise NotPermitted(f"Only lkubot admins can run the clean-up on {lpar}: ask one of them.")
    return await services.engine.cleanup(lpar, kind)
