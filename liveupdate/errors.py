"""Why the rules refuse something.

Every class here is a refusal: nothing changed, and `str(error)` is one sentence the person
who asked can act on. The Slack error hook shows it to them privately; the CLI prints it.

    Refused
    ├── RequesterCannotVote    the requester approved or rejected their own request
    ├── NotAnApprover          not an approver of this group (nor a member of one of its groups)
    ├── MembershipUnavailable  a user group lookup failed, so lkubot denied (fail closed)
    ├── AlreadyVoted           a second click by the same person: reported, not counted
    ├── NotPermitted           this person may not do this to this request
    ├── WrongState             the request is not in a state where this can happen
    ├── RequestExpired         approval_ttl has passed
    ├── QuorumNotMet           not enough valid approvals to launch
    ├── LaunchBlocked          freeze or closed change window, and no admin override
    └── OverrideRefused        an override by a non-admin, or without a usable reason
"""

from __future__ import annotations


class Refused(Exception):
    """The rules do not allow this; nothing changed."""


class RequesterCannotVote(Refused):
    pass


class NotAnApprover(Refused):
    pass


class MembershipUnavailable(Refused):
    pass


class AlreadyVoted(Refused):
    pass


class NotPermitted(Refused):
    pass


class WrongState(Refused):
    pass


class RequestExpired(Refused):
    pass


class QuorumNotMet(Refused):
    pass


class LaunchBlocked(Refused):
    pass


class OverrideRefused(Refused):
    pass
