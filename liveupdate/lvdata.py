"""lvupdate.data: the stanza file that steers a live kernel update, kept line for line.

The file is a stanza file: a header `name:` at column 1, then indented `key = value` lines;
values may be empty; `#` (and, as in other AIX stanza files, `*`) starts a comment. AIX
silently ignores a `key = value` line that is not indented, so the model keeps such lines (as
entries with an empty indent) for the checker to flag, but `stanzas()` leaves them out, just
as AIX does.

Every line keeps its exact spacing and line end, so `render_lvupdate_data(parse(text))`
gives back the file byte for byte.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from liveupdate.text import program_of, split_transcript

LineKind = Literal["blank", "comment", "stanza", "entry", "other"]

_STANZA = re.compile(r"^(?P<indent>[ \t]*)(?P<name>[A-Za-z_][\w.-]*):(?P<trailing>[ \t]*)$")
_ENTRY = re.compile(
    r"^(?P<indent>[ \t]*)(?P<name>[A-Za-z_][\w.-]*)(?P<sep>[ \t]*=[ \t]*)"
    r"(?P<value>.*?)(?P<trailing>[ \t]*)$"
)
_COMMENT = re.compile(r"^[ \t]*[#*]")
_LINE_END = re.compile(r"\r\n|\n|\r")

_VIEWERS = frozenset({"cat", "more", "pg", "head", "tail", "less", "view", "sed", "grep", "egrep"})


class DataLine(BaseModel):
    """One line of lvupdate.data, split so that it renders back exactly."""

    model_config = ConfigDict(frozen=True)

    number: int
    kind: LineKind
    stanza: str | None
    """The stanza the line sits in (its own name for a header); None before the first one."""
    indent: str = ""
    name: str = ""
    """The stanza name (header) or the key (entry)."""
    separator: str = ""
    """For an entry, the `=` with the blanks around it exactly as written."""
    value: str = ""
    trailing: str = ""
    text: str = ""
    """The whole line, for blank, comment and other lines."""
    ending: str = "\n"

    @property
    def indented(self) -> bool:
        return self.indent != ""

    def render(self) -> str:
        if self.kind == "stanza":
            return f"{self.indent}{self.name}:{self.trailing}{self.ending}"
        if self.kind == "entry":
            return (
                f"{self.indent}{self.name}{self.separator}{self.value}{self.trailing}{self.ending}"
            )
        return f"{self.text}{self.ending}"


class LvUpdateData(BaseModel):
    """A parsed lvupdate.data file."""

    model_config = ConfigDict(frozen=True)

    lines: tuple[DataLine, ...]

    def entries(self) -> list[DataLine]:
        return [line for line in self.lines if line.kind == "entry"]

    def headers(self) -> list[DataLine]:
        return [line for line in self.lines if line.kind == "stanza"]

    def stanzas(self) -> dict[str, dict[str, str]]:
        """stanza -> key -> value as AIX reads them: indented keys only, the first of duplicates."""
        found: dict[str, dict[str, str]] = {}
        for line in self.lines:
            if line.kind == "stanza":
                found.setdefault(line.name, {})
            elif line.kind == "entry" and line.indented and line.stanza is not None:
                found.setdefault(line.stanza, {}).setdefault(line.name, line.value)
        return found

    def value(self, stanza: str, key: str) -> str | None:
        """The value AIX reads for `key` under `stanza`, or None when it has none."""
        return self.stanzas().get(stanza, {}).get(key)


def _split_keeping_ends(text: str) -> list[tuple[str, str]]:
    pieces: list[tuple[str, str]] = []
    start = 0
    for match in _LINE_END.finditer(text):
        pieces.append((text[start : match.start()], match.group()))
        start = match.end()
    if start < len(text):
        pieces.append((text[start:], ""))
    return pieces


def _parse_line(number: int, body: str, ending: str, stanza: str | None) -> DataLine:
    if not body.strip():
        return DataLine(number=number, kind="blank", stanza=stanza, text=body, ending=ending)
    if _COMMENT.match(body):
        return DataLine(number=number, kind="comment", stanza=stanza, text=body, ending=ending)
    header = _STANZA.match(body)
    if header:
        return DataLine(
            number=number,
            kind="stanza",
            stanza=header["name"],
            indent=header["indent"],
            name=header["name"],
            trailing=header["trailing"],
            ending=ending,
        )
    entry = _ENTRY.match(body)
    if entry:
        return DataLine(
            number=number,
            kind="entry",
            stanza=stanza,
            indent=entry["indent"],
            name=entry["name"],
            separator=entry["sep"],
            value=entry["value"],
            trailing=entry["trailing"],
            ending=ending,
        )
    return DataLine(number=number, kind="other", stanza=stanza, text=body, ending=ending)


def _shows_the_file(command: str) -> bool:
    return program_of(command) in _VIEWERS and ("lvupdate" in command or "liveupdate" in command)


def parse_lvupdate_data(text: str) -> LvUpdateData:
    """Parse lvupdate.data: the file itself, or a paste that shows it being printed.

    When the text shows the file printed at a prompt (`# cat
    /var/adm/ras/liveupdate/lvupdate.data`), that output is read and numbered from 1;
    otherwise the text is the file, read exactly as it is (a comment that happens to look like
    a prompt stays a comment, and line numbers stay the file's).
    """
    printed = [
        block
        for block in split_transcript(text)
        if block.command is not None and _shows_the_file(block.command)
    ]
    if printed:
        text = "".join(f"{line}\n" for line in printed[-1].lines)
    lines: list[DataLine] = []
    stanza: str | None = None
    for number, (body, ending) in enumerate(_split_keeping_ends(text), start=1):
        line = _parse_line(number, body, ending, stanza)
        if line.kind == "stanza":
            stanza = line.name
        lines.append(line)
    return LvUpdateData(lines=tuple(lines))


def render_lvupdate_data(data: LvUpdateData) -> str:
    """The file text; an unchanged parse renders back byte for byte."""
    return "".join(line.render() for line in data.lines)
