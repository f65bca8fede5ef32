"""lvupdate.data read the way AIX reads it: stanza headers at column 0, `key = value` lines
indented under them. A key line that is not indented is silently ignored, as on AIX, which is
how `cpu_reduction = yes` at column 0 ends up having no effect."""

from __future__ import annotations

import re

KNOWN_STANZAS = ("general", "disks", "hmc", "pvc", "trace", "llvupdate")
_HEADER = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*):\s*$")
_KEY_LINE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")


class StanzaError(Exception):
    """lvupdate.data cannot be read; the message names the line."""


def parse_stanzas(text: str) -> dict[str, dict[str, str]]:
    stanzas: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            name = header["name"]
            if name not in KNOWN_STANZAS:
                raise StanzaError(f"line {number}: unknown stanza {name!r}")
            current = stanzas.setdefault(name, {})
            continue
        key_line = _KEY_LINE.match(stripped)
        if key_line is None:
            raise StanzaError(f"line {number}: expected 'key = value', found {stripped!r}")
        if not line[0].isspace():
            continue  # AIX ignores a key line at column 0
        if current is None:
            raise StanzaError(f"line {number}: {key_line['key']!r} is not under a stanza")
        current[key_line["key"]] = key_line["value"]
    return stanzas


def disk_names(value: str) -> list[str]:
    """`hdisk1 hdisk2` or `hdisk1,hdisk2`."""
    return [name for name in re.split(r"[\s,]+", value) if name]
