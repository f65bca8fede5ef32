"""Terminal text as admins paste it: line ends, trailing blanks and shell prompt lines.

Admins copy AIX output from a terminal, so a paste often carries the prompt and the command
that printed it (`root@lpar01 / # oslevel -s`), sometimes several commands, CRLF line ends and
trailing blanks. `split_transcript` cuts such a paste into blocks, one per command;
`output_lines` picks the output of the command a parser is interested in, or all output when
the paste names no such command.

What counts as a prompt line (chosen so that no line of the outputs lkubot reads is mistaken
for one, and comment lines of lvupdate.data stay comments):
- a line with a prompt context before `#`, `$`, `%` or `>`: `root@lpar01 / #`, `[root@lpar01 /]#`,
  `lpar01:/home/root>`, with or without a command after it;
- `$ ` or `% ` followed by anything, at column 1;
- `# ` followed by a command lkubot knows (`# oslevel -s`, `# cat /etc/inittab`), at column 1;
- a bare `#`, `$` or `%` alone on a line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from pydantic import BaseModel, ConfigDict

# Programs that an admin is likely to have typed before the output they paste: the AIX
# commands lkubot reads plus the usual ways of looking at a file. A `# word ...` line whose
# first word is not one of these is output (an lvupdate.data or template comment).
SHELL_PROGRAMS: frozenset[str] = frozenset(
    {
        "awk", "bootinfo", "cat", "cd", "cllvupdate", "clvupdate", "date", "diff", "echo",
        "egrep", "emgr", "env", "export", "genld", "geninstall", "grep", "head", "hmcauth",
        "hostname", "instfix", "less", "llvupdate", "ls", "lsattr", "lsdev", "lslpp", "lsmcode",
        "lspv", "lsvg", "lparstat", "lvupdateRegScript", "mkdir", "more", "mount", "nimclient",
        "oslevel", "pg", "prtconf", "ps", "pvcauth", "raso", "sed", "ssh", "sudo", "tail", "uname",
        "view", "vi", "who", "whoami",
    }
)  # fmt: skip

# Words that run another command after them; the program is the word that follows.
_WRAPPERS = frozenset({"sudo", "pbrun", "time", "nohup", "env"})

_CONTEXT = r"(?:\[[^\]\n]*\]|\S+@\S+(?: [~/]\S*)?|[\w.-]+:[~/]\S*)"
_WITH_CONTEXT = re.compile(rf"^{_CONTEXT} ?[#$%>](?: (?P<command>.*))?$")
_DOLLAR = re.compile(r"^[$%](?: (?P<command>.*))?$")
_HASH = re.compile(r"^# (?P<command>\S.*)$")
_BARE = re.compile(r"^[#$%]$")
_SIGILS = frozenset("#$%>")


class Block(BaseModel):
    """One command of a transcript and the lines it printed."""

    model_config = ConfigDict(frozen=True)

    command: str | None
    """The command typed at the prompt; None for lines before any prompt."""
    first_line: int
    """Line number (1-based, in the pasted text) of the first output line."""
    lines: tuple[str, ...]


def normalise_newlines(text: str) -> str:
    """Turn CRLF and lone CR line ends into LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_lines(text: str) -> list[str]:
    """The lines of `text` with line ends normalised and trailing blanks removed."""
    lines = normalise_newlines(text).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip() for line in lines]


def program_of(command: str) -> str:
    """The program a command line runs: `sudo /usr/sbin/emgr -l` -> `emgr`."""
    words = command.split()
    while words and (words[0] in _WRAPPERS or "=" in words[0]):
        words.pop(0)
    if not words:
        return ""
    return words[0].rsplit("/", 1)[-1]


def prompt_command(line: str) -> str | None:
    """The command on a prompt line ("" for a bare prompt), or None when `line` is output."""
    if not _SIGILS.intersection(line):
        return None  # most lines of a long output: no prompt character at all
    match = _WITH_CONTEXT.match(line) or _DOLLAR.match(line)
    if match:
        return (match["command"] or "").strip()
    if _BARE.match(line):
        return ""
    match = _HASH.match(line)
    if match and program_of(match["command"]) in SHELL_PROGRAMS:
        return match["command"].strip()
    return None


def split_transcript(text: str) -> list[Block]:
    """Cut a paste into blocks, one per prompt line; lines before the first prompt form a block
    whose command is None. Bare prompts close a block and start an empty one."""
    blocks: list[Block] = []
    command: str | None = None
    first_line = 1
    current: list[str] = []
    for number, line in enumerate(split_lines(text), start=1):
        typed = prompt_command(line)
        if typed is None:
            current.append(line)
            continue
        if current or command:
            blocks.append(Block(command=command, first_line=first_line, lines=tuple(current)))
        command, first_line, current = (typed or None), number + 1, []
    if current or command:
        blocks.append(Block(command=command, first_line=first_line, lines=tuple(current)))
    return blocks


def output_lines(
    text: str, wanted: Collection[str] | Callable[[str], bool] = ()
) -> list[tuple[int, str]]:
    """The lines a parser should read, each with its line number in the paste.

    `wanted` names the programs (or tests the command line) whose output the parser reads.
    When the paste shows such a command, the output of its last occurrence is returned;
    otherwise every output line of the paste, without the prompt lines.
    """
    blocks = split_transcript(text)

    def matches(command: str) -> bool:
        if callable(wanted):
            return wanted(command)
        return program_of(command) in wanted

    chosen = [block for block in blocks if block.command and matches(block.command)]
    return [
        (block.first_line + offset, line)
        for block in (chosen[-1:] or blocks)
        for offset, line in enumerate(block.lines)
    ]


class KeptLine(BaseModel):
    """A line a parser did not understand, kept with its line number in the paste."""

    model_config = ConfigDict(frozen=True)

    line: int
    text: str
