"""/var/adm/ras/config.diff: what changed in the files of /etc/check_config.files.

AIX writes one diff per changed file into config.diff; the exact layout is not published, so
this parser accepts what diff tools print:
- unified hunks (`@@ -1,3 +1,4 @@` then ` `, `-`, `+` lines), with or without `---`/`+++`
  file headers;
- classic hunks (`3a4`, `5,6c5,6`, `7d6` then `<` and `>` lines, `---` between);
- under any other line that names the file by its absolute path (`diff OLD /etc/inittab`,
  `=== /etc/inittab ===`, `File /etc/inittab has been modified.`): the last absolute path on
  that line is the file.
Hunk line counts are honoured, so a removed line that reads `-- x` is not taken for a header.
Lines that fit none of this are kept as unknown.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from liveupdate.text import KeptLine, output_lines

SAMPLE_LINES = 5
"""How many changed lines each file keeps, for a summary in Slack."""

_UNIFIED_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_CLASSIC_HUNK = re.compile(r"^(\d+)(?:,(\d+))?([acd])(\d+)(?:,(\d+))?$")
_ABSOLUTE_PATH = re.compile(r"(?:^|(?<=[\s'\"(=<>:]))(/[\w.+@~%-][\w./+@~%-]*)")
_VIEWERS = frozenset({"cat", "more", "pg", "head", "tail", "less", "view", "diff"})


class FileChange(BaseModel):
    """The changes to one file."""

    model_config = ConfigDict(frozen=True)

    path: str | None
    """None for hunks that come before any line naming a file."""
    added: int
    removed: int
    hunks: int
    sample: tuple[str, ...]
    """The first changed lines, `+` or `-` in front (classic `>` and `<` are shown the same)."""
    line: int
    """Where this file's part of config.diff starts."""


class ConfigDiff(BaseModel):
    model_config = ConfigDict(frozen=True)

    files: tuple[FileChange, ...]
    unknown_lines: tuple[KeptLine, ...]


class _File:
    def __init__(self, path: str | None, line: int) -> None:
        self.path, self.line = path, line
        self.added = self.removed = self.hunks = 0
        self.sample: list[str] = []

    def change(self, sign: str, content: str) -> None:
        if sign == "+":
            self.added += 1
        else:
            self.removed += 1
        if len(self.sample) < SAMPLE_LINES:
            self.sample.append(f"{sign}{content}")

    def freeze(self) -> FileChange:
        return FileChange(
            path=self.path,
            added=self.added,
            removed=self.removed,
            hunks=self.hunks,
            sample=tuple(self.sample),
            line=self.line,
        )


def _path_in(line: str) -> str | None:
    paths = _ABSOLUTE_PATH.findall(line)
    return paths[-1].rstrip(".") if paths else None


def _header_path(line: str) -> str | None:
    """The file a `---`/`+++` header names, without a/ b/ prefixes, timestamps or notes."""
    words = line[4:].split("\t")[0].split()
    name = words[0] if words else ""
    if name.startswith(("a/", "b/")):
        name = name[1:]
    return name if name and name != "/dev/null" else None


class _Reader:
    def __init__(self) -> None:
        self.files: list[_File] = []
        self.unknown: list[KeptLine] = []
        self.old_left = self.new_left = 0
        self.classic = False

    @property
    def current(self) -> _File | None:
        return self.files[-1] if self.files else None

    def name_file(self, path: str | None, number: int, *, pair: bool = False) -> None:
        current = self.current
        if current is not None and current.hunks == 0:
            # A header right after another one, before any hunk, names the same file
            # (`diff OLD NEW`, then `--- OLD` and `+++ NEW`): the first one names it best.
            if current.path is None:
                current.path = path
                return
            if pair or path == current.path:
                return
        self.files.append(_File(path, number))

    def file_for_hunk(self, number: int) -> _File:
        if self.current is None:
            self.files.append(_File(None, number))
        assert self.current is not None
        self.current.hunks += 1
        return self.current

    def read(self, number: int, line: str, following: str | None) -> None:
        if self.old_left > 0 or self.new_left > 0:
            if self._read_unified_body(line):
                return
            self.old_left = self.new_left = 0
        if self.classic and self._read_classic_body(line):
            return
        self.classic = False
        unified = _UNIFIED_HUNK.match(line)
        if unified:
            self.file_for_hunk(number)
            self.old_left = int(unified[1]) if unified[1] is not None else 1
            self.new_left = int(unified[2]) if unified[2] is not None else 1
            return
        if _CLASSIC_HUNK.match(line):
            self.file_for_hunk(number)
            self.classic = True
            return
        if line.startswith("--- ") and following is not None and following.startswith("+++ "):
            self.name_file(_header_path(following) or _header_path(line), number, pair=True)
            return
        if line.startswith("+++ ") and self.current is not None:
            return  # the second half of a `---`/`+++` pair, already read
        path = _path_in(line)
        if path is not None:
            self.name_file(path, number)
        elif line.strip():
            self.unknown.append(KeptLine(line=number, text=line))

    def _read_unified_body(self, line: str) -> bool:
        sign = line[:1]
        current = self.current
        assert current is not None
        if sign == "\\":
            return True  # "\ No newline at end of file"
        if sign in (" ", "") and self.old_left > 0 and self.new_left > 0:
            self.old_left -= 1
            self.new_left -= 1
        elif sign == "-" and self.old_left > 0:
            self.old_left -= 1
            current.change("-", line[1:])
        elif sign == "+" and self.new_left > 0:
            self.new_left -= 1
            current.change("+", line[1:])
        else:
            return False
        return True

    def _read_classic_body(self, line: str) -> bool:
        current = self.current
        assert current is not None
        if line.startswith("< ") or line == "<":
            current.change("-", line[2:])
        elif line.startswith("> ") or line == ">":
            current.change("+", line[2:])
        elif line != "---":
            return False
        return True


def parse_config_diff(text: str) -> ConfigDiff:
    """Per changed file: its path, lines added and removed, and the first changed lines."""
    lines = output_lines(text, _VIEWERS)
    reader = _Reader()
    for position, (number, line) in enumerate(lines):
        following = lines[position + 1][1] if position + 1 < len(lines) else None
        reader.read(number, line, following)
    return ConfigDiff(
        files=tuple(file.freeze() for file in reader.files),
        unknown_lines=tuple(reader.unknown),
    )
