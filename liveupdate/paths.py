"""Paths on an LPAR as lkubot accepts them: the rule shared by the inventory's paths, the
media typed in Slack, and the name of each run's log.

A path goes into command lines on the LPAR, so the rule is strict on purpose: absolute, only
characters that need no quoting, no `..` and no `//`.
"""

from __future__ import annotations

import re
from typing import TypeGuard

REMOTE_PATH_RULE = (
    "a path on the LPAR must be absolute (start with '/') and use only letters, digits "
    "and . _ + , @ = - / (no spaces, no '..', no '//')"
)

_REMOTE_PATH = re.compile(r"/[A-Za-z0-9._+,@=/-]*")
_MAX_LENGTH = 1023
"""Longer than any path an admin writes in the inventory or lkubot builds."""


def is_remote_path(value: object) -> TypeGuard[str]:
    """Does `value` follow `REMOTE_PATH_RULE`?"""
    return (
        isinstance(value, str)
        and len(value) <= _MAX_LENGTH
        and _REMOTE_PATH.fullmatch(value) is not None
        and ".." not in value.split("/")
        and "//" not in value
    )
