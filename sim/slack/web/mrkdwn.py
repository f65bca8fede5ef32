"""Slack's text formatting turned into HTML for the browser page, escaped by construction.

mrkdwn, as https://api.slack.com/reference/surfaces/formatting describes it: `*bold*`,
`_italic_`, `~strike~`, `` `code` ``, ```` ```preformatted``` ````, `>` quotes, links
`<url|text>`, mentions `<@U..>`, `<#C..>`, `<!subteam^S..>`, `<!here>`, dates
`<!date^...|fallback>`, `:emoji:` shortcodes, and the three entities Slack escapes (`&amp;`,
`&lt;`, `&gt;`). Plain text gets its emoji only; a `markdown` block is translated to mrkdwn.

Every character of the input reaches the output through MarkupSafe's `escape`, and the only tags
are the ones written in this module, so no message can inject HTML. Links are kept only for
http, https and mailto addresses.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from markupsafe import Markup, escape
from pydantic import BaseModel, ConfigDict, Field

from sim.slack.web.emoji import EMOJI
from sim.slack.workspace import Workspace

# Rendered fragments (links, code, emoji) are set aside behind placeholders made of two
# private-use characters while the bold/italic/strike patterns run over the rest of the line,
# so the patterns can span a mention but can never split or restyle a fragment's own markup.
_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_SENTINELS = re.compile(f"[{_OPEN}{_CLOSE}]")

_PRE = re.compile(r"```([\s\S]*?)```")
_CODE = re.compile(r"`([^`\n]+)`")
_TOKEN = re.compile(r"<([^<>\n]+)>")
_EMOJI = re.compile(r":([a-z0-9_+'-]+):")
_QUOTE = re.compile(r"^(?:>|&gt;) ?")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}

# Slack styles a run only when its markers sit at word boundaries with no space just inside
# them, so `update_all` and `2*3*4` stay as they are.
_STYLES = [
    (re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"), Markup("<b>{}</b>")),
    (re.compile(r"(?<!\w)_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)"), Markup("<i>{}</i>")),
    (re.compile(r"(?<![\w~])~(?=[^\s~])(.+?)(?<=[^\s~])~(?![\w~])"), Markup("<s>{}</s>")),
]

_LINK_SCHEMES = ("http://", "https://", "mailto:")
_SPECIAL_MENTIONS = ("here", "channel", "everyone")


class Names(BaseModel):
    """Who and what the ids in a text stand for: user, channel and user group handles."""

    model_config = ConfigDict(frozen=True)

    users: dict[str, str] = Field(default_factory=dict, description="user id -> handle")
    channels: dict[str, str] = Field(default_factory=dict, description="channel id -> name")
    usergroups: dict[str, str] = Field(default_factory=dict, description="group id -> handle")

    @classmethod
    def of(cls, workspace: Workspace) -> Names:
        users = {u.id: u.name for u in workspace.users.values()}
        users[workspace.config.bot_user_id] = workspace.config.bot_name
        return cls(
            users=users,
            channels={c.id: c.name for c in workspace.channels.values() if not c.is_im},
            usergroups={g.id: g.handle for g in workspace.usergroups.values()},
        )


def render_mrkdwn(text: str, names: Names) -> Markup:
    """A mrkdwn text as HTML, newlines kept as newlines (the page shows it `pre-wrap`)."""
    parts = _PRE.split(_SENTINELS.sub("\ufffd", text))
    rendered: list[Markup] = []
    for index, part in enumerate(parts):
        if index % 2:
            body = _decode(part).removeprefix("\n").removesuffix("\n")
            rendered.append(Markup('<pre class="sk-pre">{}</pre>').format(body))
            continue
        # The newline that separates prose from a code block is the block's own edge.
        if index > 0:
            part = part.removeprefix("\n")
        if index < len(parts) - 1:
            part = part.removesuffix("\n")
        if part:
            rendered.append(_render_lines(part, names))
    return Markup("").join(rendered)


def render_plain(text: str, *, emoji: bool = True) -> Markup:
    """A plain_text object: no formatting, only emoji shortcodes when `emoji` is on."""
    if not emoji:
        return escape(text)
    parts = _EMOJI.split(text)
    # split() with one group alternates text and shortcode names.
    return Markup("").join(
        escape(part if index % 2 == 0 else EMOJI.get(part, f":{part}:"))
        for index, part in enumerate(parts)
    )


def render_markdown(text: str, names: Names) -> Markup:
    """A `markdown` block (standard Markdown) drawn as the mrkdwn it translates to."""
    pieces = re.split(r"(```[\s\S]*?```|`[^`\n]+`)", text)
    translated = [
        piece if piece.startswith("`") else _markdown_to_mrkdwn(piece) for piece in pieces
    ]
    return render_mrkdwn("".join(translated), names)


def _markdown_to_mrkdwn(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"(?m)^&gt;", ">", text)
    text = re.sub(r"\[([^\]\n|]+)\]\(([^)\s|]+)\)", r"<\2|\1>", text)
    text = re.sub(r"(?<![*\w])\*(?![*\s])(.+?)(?<![*\s])\*(?![*\w])", r"_\1_", text)
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: f"*{m.group(1) or m.group(2)}*", text)
    text = re.sub(r"~~(.+?)~~", r"~\1~", text)
    return re.sub(r"(?m)^#{1,6}[ \t]+(.+)$", r"*\1*", text)


def _render_lines(text: str, names: Names) -> Markup:
    """Lines of prose; consecutive `>` lines become one quote."""
    out: list[Markup] = []
    quoted: list[Markup] = []
    pending_newline = False

    def flush_quote() -> None:
        nonlocal pending_newline
        if quoted:
            out.append(
                Markup('<blockquote class="sk-quote">{}</blockquote>').format(
                    Markup("\n").join(quoted)
                )
            )
            quoted.clear()
            pending_newline = False

    for line in text.split("\n"):
        marker = _QUOTE.match(line)
        if marker:
            quoted.append(_render_line(line[marker.end() :], names))
            continue
        flush_quote()
        if pending_newline:
            out.append(Markup("\n"))
        out.append(_render_line(line, names))
        pending_newline = True
    flush_quote()
    return Markup("").join(out)


class _Held:
    """Rendered fragments that the style patterns must not touch, behind placeholders."""

    def __init__(self) -> None:
        self.fragments: list[Markup] = []

    def hold(self, fragment: Markup) -> str:
        self.fragments.append(fragment)
        return f"{_OPEN}{len(self.fragments) - 1}{_CLOSE}"

    def release(self, escaped: str) -> Markup:
        """`escaped` went through `escape` and then gained only the style tags."""
        restored = _PLACEHOLDER.sub(lambda m: self.fragments[int(m.group(1))], escaped)
        return Markup(restored)  # noqa: S704


def _render_line(line: str, names: Names) -> Markup:
    held = _Held()
    line = _CODE.sub(
        lambda m: held.hold(Markup('<code class="sk-code">{}</code>').format(_decode(m.group(1)))),
        line,
    )
    line = _TOKEN.sub(lambda m: held.hold(_render_token(m.group(1), names)), line)
    line = _EMOJI.sub(lambda m: _hold_emoji(m, held), line)
    escaped = str(escape(_decode(line)))
    return held.release(_style(escaped, held, _STYLES))


def _style(escaped: str, held: _Held, styles: list[tuple[re.Pattern[str], Markup]]) -> str:
    """Apply the first style, then the rest outside and inside each styled run.

    A styled run is held behind a placeholder once rendered, so a later style can never open
    inside it and close outside it (`*~*~` gives `<b>~</b>~`, never `<b><s></b></s>`).
    """
    if not styles:
        return escaped
    (pattern, template), rest = styles[0], styles[1:]

    def wrap(match: re.Match[str]) -> str:
        inner = held.release(_style(match.group(1), held, rest))
        return held.hold(template.format(inner))

    return _style(pattern.sub(wrap, escaped), held, rest)


def _hold_emoji(match: re.Match[str], held: _Held) -> str:
    picture = EMOJI.get(match.group(1))
    return match.group(0) if picture is None else held.hold(escape(picture))


def _render_token(body: str, names: Names) -> Markup:
    """One `<...>` sequence: a mention, a date or a link."""
    target, _, label = body.partition("|")
    label = _decode(label)
    if target.startswith("@"):
        user = target[1:]
        return _mention("@" + (names.users.get(user) or label.lstrip("@") or user))
    if target.startswith("#"):
        channel = target[1:]
        return _mention("#" + (names.channels.get(channel) or label.lstrip("#") or channel))
    if target.startswith("!subteam^"):
        group = target.removeprefix("!subteam^")
        return _mention("@" + (names.usergroups.get(group) or label.lstrip("@") or group))
    if target.startswith("!date^"):
        return Markup('<time class="sk-date">{}</time>').format(label or _date_of(target))
    if target.startswith("!"):
        special = target[1:]
        shown = f"@{special}" if special in _SPECIAL_MENTIONS else label or f"@{special}"
        return _mention(shown)
    url = _decode(target)
    if not url.lower().startswith(_LINK_SCHEMES):
        return escape(label or url)
    shown = label or url.removeprefix("mailto:")
    return Markup('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>').format(
        url, shown
    )


def _mention(shown: str) -> Markup:
    return Markup('<span class="sk-mention">{}</span>').format(shown)


def _date_of(target: str) -> str:
    """A `<!date^EPOCH^...>` without a fallback: the moment in UTC (Slack requires a fallback,
    so this only shows what a bot forgot)."""
    epoch = target.split("^")[1]
    if not epoch.isdigit():
        return target
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _decode(text: str) -> str:
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)
