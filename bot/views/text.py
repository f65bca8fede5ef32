"""Text rules every view follows: escaping, cutting to Slack's limits, dates, durations.

Text that came from a person or from an LPAR (reasons, comments, AIX output) goes through
`escape` before it is put in mrkdwn, so `<!channel>` in a reject reason is shown, not obeyed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

ELLIPSIS = "…"

# The only markup lkubot's own sentences put in a note: user and user group mentions.
_KEPT_MENTION = re.compile(r"&lt;(@[UW][A-Z0-9]{2,}|!subteam\^S[A-Z0-9]{2,})&gt;")


def escape(text: str) -> str:
    """Text safe to put in mrkdwn: Slack's three control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_note(text: str) -> str:
    """A sentence lkubot wrote around text a person typed (a request's note, "Rejected by
    <@U...>: REASON"): mentions of users and user groups stay, everything else is escaped, so a
    reason cannot notify the channel or hide a link."""
    return _KEPT_MENTION.sub(r"<\1>", escape(text))


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when something was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS


def code_block(text: str, limit: int) -> str:
    """Preformatted mrkdwn of `text` within `limit` characters. When it must be cut, the last
    lines are kept: the end of a command's output is where its error is."""
    body = escape(text.rstrip("\n")) or " "
    room = limit - len("```\n\n```")
    if len(body) > room:
        marker = f"{ELLIPSIS} (earlier lines cut)\n"
        body = marker + body[len(body) - (room - len(marker)) :]
    return f"```\n{body}\n```"


def inline_code(text: str, limit: int = 200) -> str:
    """`text` as inline code (backticks cannot be escaped in mrkdwn, so they become quotes)."""
    return "`" + clip(escape(text).replace("`", "'"), limit) + "`"


def slack_date(moment: datetime) -> str:
    """A moment Slack shows in each reader's own time zone ("Jan 29, 2025 09:09"); clients
    that cannot, show the UTC fallback."""
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def duration(seconds: float | timedelta | None) -> str:
    """ "21 s", "4 min 05 s", "1 h 10 min"; "unknown" when not measured."""
    if seconds is None:
        return "unknown"
    total = int(seconds.total_seconds() if isinstance(seconds, timedelta) else seconds)
    total = max(total, 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """ "1 approval", "2 approvals"."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"
