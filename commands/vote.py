"""`/lku approve ID [comment]`, `/lku reject ID reason`, and the card's [Approve] and [Reject].

The clicker is authorised, not the message: every vote goes through the rules with the policy
as it is now. Storage decides in one transaction, so a double click or a Slack retry finds the
first vote and is refused with `AlreadyVoted` (told privately, not counted).
"""

from __future__ import annotations

from commands.services import Services
from liveupdate.requests import Approve, Reject, Request


async def approve(services: Services, request_id: str, user: str, comment: str = "") -> Request:
    """Record `user`'s approval; returns the request (approved once the quorum is met)."""
    return await services.decide(request_id, Approve(user=user, comment=comment))


async def reject(services: Services, request_id: str, user: str, reason: str) -> Request:
    """Record `user`'s rejection, which ends the request."""
    return await services.decide(request_id, Reject(user=user, reason=reason))
