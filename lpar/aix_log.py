"""AIX's own live update log, read as a second witness when lkubot's log of a run stops.

lkubot follows the log its detached wrapper writes (`lkubot-<run>.log`). That the wrapper and
its log carry on after the workload moves to the surrogate LPAR is an assumption no capture
has confirmed yet (README "How a run works"). When the operation's process is gone and that
log has no exit line, lkubot reads what AIX itself wrote under /var/adm/ras/liveupdate/logs/
(`lvupdlog`; the file name is IBM's usual one, unconfirmed by a capture) and says what the
latest operation there shows, so that the admin who checks the LPAR starts from it. It is
evidence for a person, never a verdict: only an admin closes such a run (`/lku resolve`).
"""

from __future__ import annotations

from datetime import datetime

from liveupdate.lvlog import summarise_lvupdate_log
from liveupdate.phases import PHASES

AIX_LOG = "/var/adm/ras/liveupdate/logs/lvupdlog"
"""Where AIX writes its own account of live updates, every operation after the last."""
_STARTING = PHASES[1].message
"""`Live AIX update is starting.`: where each operation's part of AIX's log begins."""


def account_of(text: str, since: datetime | None) -> str:
    """What AIX's own log says of the latest live update that started at or after `since`
    (the LPAR time this run's operation started, when known), as a sentence."""
    lines = text.splitlines()
    starts = [n for n, line in enumerate(lines) if _STARTING in line]
    block = "\n".join(lines[starts[-1] :] if starts else lines)
    summary = summarise_lvupdate_log(block)
    if not starts or (since is not None and (summary.started_at or since) < since):
        return f"AIX's own log {AIX_LOG} shows no live update started since this one did."
    if summary.status == "succeeded":
        seconds = summary.reported_total_seconds
        took = f" in {seconds // 60} min {seconds % 60} s" if seconds is not None else ""
        return f"AIX's own log {AIX_LOG} says the live update completed{took}."
    fatal = [e for e in summary.errors if e.fatal]
    if summary.status == "failed" and fatal:
        return f"AIX's own log {AIX_LOG} says it failed: {fatal[0].code} {fatal[0].message}"
    phase = summary.current_phase
    if phase is None:
        return f"AIX's own log {AIX_LOG} shows the live update starting, and nothing after."
    return (
        f"AIX's own log {AIX_LOG} last says: {phase.message.rstrip('.')} "
        f"({phase.started_at:%H:%M:%S} LPAR time)."
    )
