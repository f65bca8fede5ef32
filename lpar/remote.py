"""The exact command lines lkubot sends to an LPAR (docs/remote-commands.md is their contract).

Every builder takes validated values, checks them again, and joins the words with
`shlex.join`, so no value can change the shape of a command. The SSH layer only accepts a
`RemoteCommand`, which makes "a string from Slack sent to a shell" impossible to write by
accident; the one way to send free text is `configured`, for the stage commands an admin wrote
in the inventory.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, TypeAdapter

from lpar.names import FilesetName, Pid, RemotePath, StageCommand

CONFIG_DIFF = "/var/adm/ras/config.diff"
"""Where AIX writes the differences of the files in /etc/check_config.files after an update."""

PID_MARKER = "lkubot-pid: "
EXIT_MARKER = "lkubot-exit: "
"""Lines the detached wrapper adds to the operation log: the operation's pid near the start,
its exit code as the last line."""

LLU_MAX_TIMEOUT = 300
"""llvupdate refuses a per-process timeout above 300 seconds."""


@dataclass(frozen=True)
class RemoteCommand:
    """One command line for the LPAR's login shell, built by the functions of this module."""

    line: str

    def __str__(self) -> str:
        return self.line


def _words(*words: str) -> RemoteCommand:
    return RemoteCommand(shlex.join(words))


_PATH: TypeAdapter[str] = TypeAdapter(RemotePath)
_ITEMS: TypeAdapter[list[str]] = TypeAdapter(Annotated[list[FilesetName], Field(min_length=1)])
_PIDS: TypeAdapter[list[int]] = TypeAdapter(Annotated[list[Pid], Field(min_length=1)])
_PID: TypeAdapter[int] = TypeAdapter(Pid)
_STAGE: TypeAdapter[str] = TypeAdapter(StageCommand)
_LINE: TypeAdapter[int] = TypeAdapter(Annotated[int, Field(ge=1, strict=True)])
_RETRIES: TypeAdapter[int] = TypeAdapter(Annotated[int, Field(ge=0, le=100, strict=True)])
_LLU_TIMEOUT: TypeAdapter[int] = TypeAdapter(
    Annotated[int, Field(ge=1, le=LLU_MAX_TIMEOUT, strict=True)]
)

# --- reading state -------------------------------------------------------------------------


def oslevel() -> RemoteCommand:
    return _words("oslevel", "-s")


def lparstat() -> RemoteCommand:
    return _words("lparstat", "-i")


def hmcauth_list() -> RemoteCommand:
    return _words("hmcauth", "-l")


def read_file(path: str) -> RemoteCommand:
    """`cat PATH`: lvupdate.data (the inventory's path) or config.diff."""
    return _words("cat", _PATH.validate_python(path))


def lspv() -> RemoteCommand:
    return _words("lspv")


def emgr_list() -> RemoteCommand:
    return _words("emgr", "-l")


def llu_mode() -> RemoteCommand:
    return _words("raso", "-o", "llu_mode")


def genld() -> RemoteCommand:
    return _words("genld", "-u")


def geninstall(items: Sequence[str], *, media: str | None, preview: bool) -> RemoteCommand:
    """`geninstall -k [-p] [-d MEDIA] ITEM...`: the LKU preview, or the operation itself."""
    words = ["geninstall", "-k"]
    if preview:
        words.append("-p")
    if media is not None:
        words += ["-d", _PATH.validate_python(media)]
    return _words(*words, *_ITEMS.validate_python(list(items)))


def llvupdate_preview() -> RemoteCommand:
    return _words("llvupdate", "-P")


def llvupdate(*, pids: Sequence[int] | None, retries: int, timeout: int, log: str) -> RemoteCommand:
    """The LLU operation: every capable process (`pids=None`, `-a`) or the listed ones."""
    if pids is None:
        target = ["-a"]
    else:
        # llvupdate takes the list as one argument, space-separated: -p '123 456'.
        target = ["-p", " ".join(str(pid) for pid in _PIDS.validate_python(list(pids)))]
    return _words(
        "llvupdate",
        *target,
        "-n",
        str(_RETRIES.validate_python(retries)),
        "-t",
        str(_LLU_TIMEOUT.validate_python(timeout)),
        "-l",
        _PATH.validate_python(log),
    )


def cllvupdate() -> RemoteCommand:
    """Clean-up after a failed LLU."""
    return _words("cllvupdate", "-u")


def clvupdate() -> RemoteCommand:
    """Clean-up after a cancelled or failed LKU."""
    return _words("clvupdate")


# --- the detached operation ----------------------------------------------------------------


NOCLOBBER = "set -C; "
"""The start's prefix: with the shell's noclobber the `> LOG` of a start whose log already
exists fails, and nothing starts. That makes the start idempotent: sent twice (lkubot cannot
tell whether the first one left), it runs the operation once."""


def start_detached(operation: RemoteCommand, log: str) -> RemoteCommand:
    """Start `operation` in the background with its output in `log`; returns at once.

    The log gets `lkubot-pid: PID` near its start and `lkubot-exit: RC` as its last line. When
    `log` exists already the shell refuses the redirection (its message on stderr) and starts
    nothing; the command still exits 0, since the refusal happens in the background job, so
    only the log tells which start runs.
    """
    script = f'{operation.line} & echo "{PID_MARKER}$!"; wait $!; echo "{EXIT_MARKER}$?"'
    target = shlex.quote(_PATH.validate_python(log))
    return RemoteCommand(
        f"{NOCLOBBER}nohup sh -c {shlex.quote(script)} > {target} 2>&1 < /dev/null &"
    )


def tail(log: str, from_line: int) -> RemoteCommand:
    """What the log holds from line `from_line` (the first line is 1), then exit."""
    return _words("tail", "-n", f"+{_LINE.validate_python(from_line)}", _PATH.validate_python(log))


def follow(log: str, from_line: int) -> RemoteCommand:
    """`tail -n +K -f LOG`: the log from line K on, then every line appended, until closed."""
    return _words(
        "tail", "-n", f"+{_LINE.validate_python(from_line)}", "-f", _PATH.validate_python(log)
    )


def is_running(pid: int) -> RemoteCommand:
    """Exits 0 while the process runs, 1 once it has ended."""
    return _words("ps", "-p", str(_PID.validate_python(pid)), "-o", "pid=")


def terminate(pid: int) -> RemoteCommand:
    return _words("kill", "-TERM", str(_PID.validate_python(pid)))


# --- the admin's own commands --------------------------------------------------------------


def configured(text: str) -> RemoteCommand:
    """A stage command from the inventory, sent as written: it is configuration, not input."""
    return RemoteCommand(_STAGE.validate_python(text))
