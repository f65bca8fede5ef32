"""What to do next after a live update failed: one sentence per AIX `1430-NNN` code that
admins meet in the field, and a general one for the rest.

Only codes whose meaning is documented (see shared/aix/README.md) get a specific remedy; for
any other code the summary says where to read more rather than guess.
"""

from __future__ import annotations

from bot.views.text import escape

REMEDIES: dict[str, str] = {
    "1430-246": (
        "{lpar} has no valid HMC token. On {lpar} run `hmcauth -u USER -a HMC` with the user "
        "and HMC of the `hmc:` stanza of lvupdate.data (they must match, `hmcauth -l` shows "
        "the token), then preview again. The token is lost when the LPAR reboots."
    ),
    "1430-244": (
        "A mounted file system type that live update cannot carry (for example AHAFS) is "
        "mounted on {lpar}: unmount it (AHAFS: `umount /aha`), or do it in the prep stage "
        "and mount it again in post, then preview again."
    ),
    "1430-143": (
        "Auditing runs in stream mode on {lpar}, which live update refuses before AIX 7.3 TL3: "
        "stop auditing in the prep stage (`audit shutdown`) and start it in post "
        "(`audit start`), then preview again."
    ),
}

GENERAL = (
    "Read the operation's log on {lpar} ({log}) and IBM's description of {code}. A failed "
    "live kernel update must be cleaned up with `clvupdate` before the next try (lkubot "
    "offers it below when it applies); then fix the cause and preview again."
)


def remedy(code: str, lpar: str, log: str) -> str:
    """What to do next about `code` on `lpar` (mrkdwn)."""
    text = REMEDIES.get(code, GENERAL)
    return text.format(lpar=escape(lpar), log=f"`{escape(log)}`", code=f"`{escape(code)}`")
