"""Validated values that end up in commands sent to an LPAR or in files on it.

Every value lkubot puts into a remote command line passes one of these types first: names,
hosts, users, remote paths, fileset names, process ids. The patterns are strict on purpose
(no spaces, no shell metacharacters, nothing that starts with '-' and could pass for an
option), so quoting is a second line of defence, not the only one.

Each type fails with one sentence saying what a valid value looks like; the inventory loader
adds the file, line and the offending value around it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Annotated

from pydantic import BeforeValidator, TypeAdapter
from pydantic_core import PydanticCustomError

from liveupdate.paths import REMOTE_PATH_RULE, is_remote_path
from liveupdate.policy import SLACK_PRINCIPAL_PATTERN

FORMAT_ERROR = "lkubot_format"
"""The pydantic error type of every check here; its message is a complete expectation."""


def _matching(pattern: str, expectation: str) -> Callable[[object], str]:
    regex = re.compile(pattern)

    def check(value: object) -> str:
        if isinstance(value, str) and regex.fullmatch(value):
            return value
        raise PydanticCustomError(FORMAT_ERROR, expectation)

    return check


_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
_NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"

LparName = Annotated[str, BeforeValidator(_matching(_NAME, f"an LPAR name must be {_NAME_RULE}"))]
"""The name people type in Slack: `lpar01`, `db-prod.2`."""

GroupName = Annotated[str, BeforeValidator(_matching(_NAME, f"a group name must be {_NAME_RULE}"))]

ManagedSystemName = Annotated[
    str,
    BeforeValidator(
        _matching(
            r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}",
            "a managed system name must be 1 to 100 letters, digits, '.', '_', '+' or '-', "
            "starting with a letter or digit (as the HMC shows it, e.g. Server-9080-HEX-SN7812345)",
        )
    ),
]

UnixUser = Annotated[
    str,
    BeforeValidator(
        _matching(
            r"[A-Za-z_][A-Za-z0-9_.-]{0,63}",
            "a user name must be 1 to 64 letters, digits, '_', '.' or '-', "
            "starting with a letter or '_'",
        )
    ),
]

_HOST_CHARS = re.compile(r"[A-Za-z0-9.:%_-]+")
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_HOST_RULE = (
    "a host must be a DNS name (letters, digits and '-' in dot-separated labels) "
    "or an IPv4 or IPv6 address"
)


def _check_host(value: object) -> str:
    # The character check comes first: ipaddress accepts any text as an IPv6 zone ("%...").
    if isinstance(value, str) and 0 < len(value) <= 253 and _HOST_CHARS.fullmatch(value):
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if all(_HOST_LABEL.fullmatch(label) for label in value.split(".")):
                return value
        else:
            return value
    raise PydanticCustomError(FORMAT_ERROR, _HOST_RULE)


HostName = Annotated[str, BeforeValidator(_check_host)]


def _check_remote_path(value: object) -> str:
    if is_remote_path(value):
        return value
    raise PydanticCustomError(FORMAT_ERROR, REMOTE_PATH_RULE)


RemotePath = Annotated[str, BeforeValidator(_check_remote_path)]
"""An absolute path on the LPAR: a file, a directory, or a device such as /dev/cd0."""

FilesetName = Annotated[
    str,
    BeforeValidator(
        _matching(
            r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}",
            "an install item must be a fileset, fix or package file name such as "
            "bos.rte.libc or IZ12345.140806.epkg.Z, or update_all, or all: letters, digits, "
            "'.', '_', '+' and '-', starting with a letter or digit",
        )
    ),
]
"""What `geninstall` installs: a fileset, an interim fix file, `update_all` or `all`."""


def _check_local_path(value: object) -> str:
    if isinstance(value, str) and value.strip() and not any(c in value for c in "\0\n\r"):
        return value
    raise PydanticCustomError(
        FORMAT_ERROR, "a file path must be a non-empty text on one line (relative to this file)"
    )


LocalPath = Annotated[str, BeforeValidator(_check_local_path)]
"""A file on the machine lkubot runs on; relative paths are resolved against the inventory."""


def _check_stage_command(value: object) -> str:
    if (
        isinstance(value, str)
        and value.strip()
        and len(value) <= 4096
        and not any(c in value for c in "\0\n\r")
    ):
        return value
    raise PydanticCustomError(
        FORMAT_ERROR,
        "a stage command must be one line of shell, at most 4096 characters "
        "(put longer logic in a script on the LPAR and call that)",
    )


StageCommand = Annotated[str, BeforeValidator(_check_stage_command)]
"""A shell command line an admin wrote in the inventory; it runs on the LPAR as written."""


def _check_port(value: object) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return value
    raise PydanticCustomError(FORMAT_ERROR, "must be a number from 1 to 65535")


Port = Annotated[int, BeforeValidator(_check_port)]


def _check_seconds(value: object) -> float:
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 < value <= 600
        and value == value  # not NaN
    ):
        return float(value)
    raise PydanticCustomError(FORMAT_ERROR, "must be a number of seconds above 0, at most 600")


Seconds = Annotated[float, BeforeValidator(_check_seconds)]

SlackPrincipal = Annotated[
    str,
    BeforeValidator(
        _matching(
            SLACK_PRINCIPAL_PATTERN.strip("^$"),
            "must be a Slack user id (U..., W...) or user group id (S...), e.g. U0123ABCD",
        )
    ),
]


def _check_pid(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 < value < 2**31:
        return value
    raise PydanticCustomError(FORMAT_ERROR, "a process id must be a whole number above 1")


Pid = Annotated[int, BeforeValidator(_check_pid)]

LPAR_NAME: TypeAdapter[str] = TypeAdapter(LparName)
FILESET_NAME: TypeAdapter[str] = TypeAdapter(FilesetName)
REMOTE_PATH: TypeAdapter[str] = TypeAdapter(RemotePath)
"""Adapters for checking single values typed in Slack before they reach `lpar.remote`."""
