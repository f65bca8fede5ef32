"""SSH to the LPARs: one verified, reused connection per LPAR, commands with typed results, and
line streams for following a log.

    SshError                  anything that kept a command from running to completion
     ├── UnreachableError     no TCP connection or no SSH handshake within connect_timeout
     ├── HostKeyError         the host key is unknown or has changed: lkubot does not connect
     ├── AuthenticationError  the LPAR refused lkubot's key
     ├── KeyFileError         lkubot's private key cannot be read
     ├── ConnectionLost       the connection dropped while a command or stream was running
     └── CommandTimeout       a command did not finish in time; its channel was closed

Host keys are always checked against the inventory's known_hosts file; nothing is ever
accepted automatically. Only key authentication is offered (no agent, no password, no
~/.ssh/config), so what the inventory says is exactly what is used.

Nothing here retries a command: whether running a command twice is safe is for the caller to
decide (starting a live update is not). A connection found dead before a command starts is
replaced, since nothing was sent on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import shlex
import socket
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Self

import asyncssh
from pydantic import BaseModel, ConfigDict, Field

from lpar.inventory import Lpar
from lpar.keyfiles import SshFiles
from lpar.remote import RemoteCommand

log = logging.getLogger(__name__)

_READ_CHUNK = 65536
_STREAM_STDERR = 4096
"""Characters of a stream's stderr kept for its error message."""
_CLOSE_GRACE = 5.0
"""Seconds to wait for a channel or connection to confirm it closed before giving up on it."""


class SshOptions(BaseModel):
    """Limits and timers shared by every connection."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_commands: int = Field(default=64, ge=1)
    """Commands in flight across all LPARs. Streams (a followed log) are long-lived and are
    bounded by `channels_per_lpar` instead, so that following many runs never starves the
    short commands."""
    channels_per_lpar: int = Field(default=8, ge=1)
    """Open channels on one connection; below OpenSSH's default MaxSessions of 10."""
    command_timeout: float = Field(default=300.0, gt=0)
    """Default limit for one command, from channel open to exit status."""
    keepalive_interval: float = Field(default=15.0, gt=0)
    keepalive_count_max: int = Field(default=3, ge=1)
    """A connection that misses this many keepalives in a row is declared dead, which ends a
    followed log with `ConnectionLost` instead of waiting forever on a silent network."""
    max_output: int = Field(default=16 * 1024 * 1024, ge=1024)
    """Characters kept of each of stdout and stderr; the rest is read and dropped."""


class CommandResult(BaseModel):
    """What one command did on one LPAR."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lpar: str
    command: str
    exit_status: int
    """The command's exit code; -1 when it was killed by a signal (see `signal`)."""
    signal: str | None = None
    stdout: str
    stderr: str
    truncated: bool = False
    """True when stdout or stderr was longer than `SshOptions.max_output` and was cut."""

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    def last_lines(self, count: int = 10) -> list[str]:
        """The last lines of stdout and stderr together, for a failure message."""
        lines = (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).rstrip()
        return lines.splitlines()[-count:] if lines else []


# --- errors --------------------------------------------------------------------------------


class SshError(Exception):
    """A command could not be run to completion on `lpar`; the message says what to do."""

    def __init__(self, lpar: str, message: str) -> None:
        super().__init__(lpar, message)
        self.lpar = lpar
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnreachableError(SshError):
    pass


class HostKeyError(SshError):
    """The LPAR's host key is not the one in known_hosts (or there is none)."""

    def __init__(self, lpar: str, message: str, *, fingerprint: str | None = None) -> None:
        super().__init__(lpar, message)
        self.fingerprint = fingerprint


class AuthenticationError(SshError):
    pass


class KeyFileError(SshError):
    pass


class ConnectionLost(SshError):
    pass


class CommandTimeout(SshError):
    pass


# --- connections ---------------------------------------------------------------------------


class _Client(asyncssh.SSHClient):
    """Remembers the host key the server offered when known_hosts did not trust it."""

    def __init__(self) -> None:
        self.offered_key: asyncssh.SSHKey | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        self.offered_key = key
        return False  # only known_hosts decides; this hook only records what was offered


class _Link:
    """The connection to one LPAR, opened on first use and replaced once it has died."""

    def __init__(self, lpar: Lpar, options: SshOptions, files: SshFiles) -> None:
        self.lpar = lpar
        self.options = options
        self.files = files
        self.lock = asyncio.Lock()
        self.channels = asyncio.Semaphore(options.channels_per_lpar)
        self.conn: asyncssh.SSHClientConnection | None = None
        self.attempts_ended = 0
        self.failure: SshError | None = None

    async def connection(self) -> asyncssh.SSHClientConnection:
        # Counted when an attempt ends, not when it starts: a caller that arrives while one is
        # under way waits for that one, and shares its answer.
        seen = self.attempts_ended
        async with self.lock:
            if self.conn is not None and not self.conn.is_closed():
                return self.conn
            if self.attempts_ended != seen and self.failure is not None:
                # An attempt made while this caller waited has just failed: share its answer
                # rather than queueing one more connect timeout per waiting command.
                raise copy.copy(self.failure)
            self.failure = None  # an attempt cut short (cancelled) has no answer to share
            try:
                self.conn = await _connect(self.lpar, self.options, self.files)
            except SshError as exc:
                self.failure = exc
                raise
            finally:
                self.attempts_ended += 1
            log.info("connected to %s (%s)", self.lpar.name, self.lpar.address)
            return self.conn

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_CLOSE_GRACE):
                    await conn.wait_closed()


class Connections:
    """One reused SSH connection per LPAR, with global and per-LPAR channel limits.

    Use as `async with Connections(SshOptions()) as ssh:`; leaving the block closes every
    connection. Safe to share between concurrent tasks.
    """

    def __init__(self, options: SshOptions | None = None) -> None:
        self.options = options or SshOptions()
        self._commands = asyncio.Semaphore(self.options.max_commands)
        self._links: dict[str, _Link] = {}
        self._retired: list[_Link] = []
        self._files = SshFiles()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        links = [*self._links.values(), *self._retired]
        self._links, self._retired = {}, []
        await asyncio.gather(*(link.close() for link in links))

    async def disconnect(self, lpar: Lpar) -> None:
        """Close the connection to `lpar` (the next command opens a new one)."""
        link = self._links.pop(lpar.name, None)
        if link is not None:
            await link.close()

    def connected(self, lpar: Lpar) -> bool:
        """True while an open connection to `lpar` is held (as far as this side knows)."""
        link = self._links.get(lpar.name)
        return link is not None and link.conn is not None and not link.conn.is_closed()

    async def connect(self, lpar: Lpar) -> None:
        """Open (or reuse) the connection to `lpar`, verifying its host key and lkubot's key."""
        await self._link(lpar).connection()

    def _link(self, lpar: Lpar) -> _Link:
        link = self._links.get(lpar.name)
        if link is None or link.lpar != lpar:
            if link is not None:
                # The LPAR's settings changed (a reloaded inventory): commands in flight keep
                # the old connection, which is closed with the rest.
                self._retired.append(link)
            link = self._links[lpar.name] = _Link(lpar, self.options, self._files)
        return link

    async def run(
        self,
        lpar: Lpar,
        command: RemoteCommand,
        *,
        time_limit: float | None = None,
        started: asyncio.Event | None = None,
    ) -> CommandResult:
        """Run `command` on `lpar` and collect its exit status and output.

        A non-zero exit status is a result, not an error: the caller decides what it means.
        `time_limit` (seconds, default `SshOptions.command_timeout`) ends it with
        `CommandTimeout`. `started` is set once the LPAR has accepted the command.
        """
        limit = self.options.command_timeout if time_limit is None else time_limit
        async with self._commands:
            link = self._link(lpar)
            conn = await link.connection()
            async with link.channels:
                return await self._run_on(conn, lpar, command, limit, started)

    async def _run_on(
        self,
        conn: asyncssh.SSHClientConnection,
        lpar: Lpar,
        command: RemoteCommand,
        limit: float,
        started: asyncio.Event | None,
    ) -> CommandResult:
        process = await _open(conn, lpar, command)
        if started is not None:
            started.set()
        try:
            async with asyncio.timeout(limit):
                (stdout, cut_out), (stderr, cut_err) = await asyncio.gather(
                    _read_capped(process.stdout, self.options.max_output),
                    _read_capped(process.stderr, self.options.max_output),
                )
                await process.wait_closed()
        except TimeoutError:
            raise CommandTimeout(
                lpar.name,
                f"{lpar.name}: `{command}` did not finish within {limit:g} s, so lkubot closed "
                "its channel. It may still be running on the LPAR; check there before trying "
                "again.",
            ) from None
        except (asyncssh.Error, OSError) as exc:
            raise _lost(lpar, command, exc) from None
        finally:
            await _close_process(process)
        exit_status = process.exit_status
        signal = process.exit_signal
        if exit_status is None and signal is None:
            raise _lost(lpar, command, None)
        return CommandResult(
            lpar=lpar.name,
            command=command.line,
            exit_status=-1 if exit_status is None else exit_status,
            signal=None if signal is None else signal[0],
            stdout=stdout,
            stderr=stderr,
            truncated=cut_out or cut_err,
        )

    @contextlib.asynccontextmanager
    async def stream(self, lpar: Lpar, command: RemoteCommand) -> AsyncIterator[LineStream]:
        """Run a long-lived command (e.g. `tail -n +K -f LOG`) and read its output by line.

        Leaving the block closes the channel, which ends the remote command.
        """
        link = self._link(lpar)
        conn = await link.connection()
        async with link.channels:
            process = await _open(conn, lpar, command)
            try:
                yield LineStream(lpar, command, process)
            finally:
                await _close_process(process)


class LineStream:
    """Complete lines from a running command's stdout, as they arrive."""

    def __init__(
        self, lpar: Lpar, command: RemoteCommand, process: asyncssh.SSHClientProcess[str]
    ) -> None:
        self._lpar = lpar
        self._command = command
        self._process = process
        self.partial = ""
        """Text after the last newline when the stream ended: not a complete line yet."""
        self.stderr = ""
        """The start of what the command wrote to stderr, once it has ended."""

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        line = await self.readline()
        if line is None:
            raise StopAsyncIteration
        return line

    async def readline(self) -> str | None:
        """The next complete line without its newline, or None when the command has ended.

        Raises `ConnectionLost` when the connection dropped before the command ended.
        """
        try:
            line = await self._process.stdout.readuntil("\n")
        except asyncio.IncompleteReadError as exc:
            self.partial = str(exc.partial)
            await self._ended()
            return None
        except (asyncssh.Error, OSError) as exc:
            raise _lost(self._lpar, self._command, exc) from None
        return line[:-1].removesuffix("\r")

    async def _ended(self) -> None:
        try:
            async with asyncio.timeout(_CLOSE_GRACE):
                self.stderr, _ = await _read_capped(self._process.stderr, _STREAM_STDERR)
                await self._process.wait_closed()
        except (TimeoutError, asyncssh.Error, OSError):
            pass
        if self._process.exit_status is None and self._process.exit_signal is None:
            raise _lost(self._lpar, self._command, None)

    @property
    def exit_status(self) -> int | None:
        """The command's exit status once it has ended, else None."""
        return self._process.exit_status


# --- helpers -------------------------------------------------------------------------------


async def _connect(
    lpar: Lpar, options: SshOptions, files: SshFiles
) -> asyncssh.SSHClientConnection:
    known_hosts = _read_known_hosts(lpar, files)
    key = _read_key(lpar, files)
    client = _Client()
    try:
        # asyncssh's connect_timeout covers the TCP connect, key exchange and login; the outer
        # bound is a backstop in case a step inside it does not honour it.
        async with asyncio.timeout(lpar.connect_timeout + _CLOSE_GRACE):
            conn, _ = await asyncssh.create_connection(
                lambda: client,
                lpar.host,
                lpar.port,
                username=lpar.user,
                known_hosts=known_hosts,
                client_keys=[key],
                agent_path=None,
                config=None,
                password=None,
                kbdint_auth=False,
                gss_host=None,
                preferred_auth="publickey",
                connect_timeout=lpar.connect_timeout,
                keepalive_interval=options.keepalive_interval,
                keepalive_count_max=options.keepalive_count_max,
            )
    except asyncssh.HostKeyNotVerifiable:
        raise _host_key_error(lpar, known_hosts, client.offered_key) from None
    except asyncssh.PermissionDenied:
        raise AuthenticationError(
            lpar.name,
            f"{lpar.name} ({lpar.address}) refused lkubot's key {lpar.key} for user "
            f"{lpar.user}. Add its public key (`ssh-keygen -y -f {shlex.quote(str(lpar.key))}`) "
            f"to ~{lpar.user}/.ssh/authorized_keys on the LPAR.",
        ) from None
    except TimeoutError:
        raise UnreachableError(
            lpar.name,
            f"{lpar.name} ({lpar.address}) did not complete the SSH login within "
            f"{lpar.connect_timeout:g} s. Check that the LPAR is up and that nothing blocks "
            "the port; raise connect_timeout in the inventory if the network is slow.",
        ) from None
    except (OSError, asyncssh.Error) as exc:
        raise UnreachableError(
            lpar.name,
            f"{lpar.name} ({lpar.address}) cannot be reached: {_reason(exc)}. Check that the "
            "LPAR is up, that sshd runs on it, and that host and port in the inventory are "
            "right.",
        ) from None
    return conn


def _read_known_hosts(lpar: Lpar, files: SshFiles) -> asyncssh.SSHKnownHosts:
    try:
        return files.known_hosts.read(lpar.known_hosts)
    except FileNotFoundError:
        raise HostKeyError(
            lpar.name,
            f"{lpar.name}: the known_hosts file {lpar.known_hosts} does not exist, so no host "
            f"key can be verified. {_accept_hint(lpar)}",
            fingerprint=None,
        ) from None
    except (OSError, ValueError, asyncssh.Error) as exc:
        raise HostKeyError(
            lpar.name,
            f"{lpar.name}: cannot read the known_hosts file {lpar.known_hosts} ({_reason(exc)}). "
            "Fix the file: one `host key-type base64-key` entry per line, as ssh-keyscan "
            "writes them.",
            fingerprint=None,
        ) from None


def _read_key(lpar: Lpar, files: SshFiles) -> asyncssh.SSHKey:
    try:
        return files.keys.read(lpar.key)
    except OSError as exc:
        raise KeyFileError(
            lpar.name,
            f"{lpar.name}: cannot read lkubot's private key {lpar.key} ({_reason(exc)}). "
            "Check the inventory's `key` path and that the bot's user can read the file.",
        ) from None
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise KeyFileError(
            lpar.name,
            f"{lpar.name}: {lpar.key} is not a usable private key ({_reason(exc)}). lkubot "
            "needs an unencrypted OpenSSH or PEM private key, e.g. from "
            "`ssh-keygen -t ed25519 -N '' -f FILE`.",
        ) from None


def _host_key_error(
    lpar: Lpar, known_hosts: asyncssh.SSHKnownHosts, offered: asyncssh.SSHKey | None
) -> HostKeyError:
    fingerprint = offered.get_fingerprint() if offered is not None else None
    offer = (
        f" The LPAR offered {offered.get_algorithm()} {fingerprint}." if offered is not None else ""
    )
    trusted = known_hosts.match(lpar.host, "", lpar.port)[0]
    file = shlex.quote(str(lpar.known_hosts))
    if trusted:
        message = (
            f"{lpar.name} ({lpar.address}): the host key has CHANGED since it was accepted into "
            f"{lpar.known_hosts}; lkubot will not connect.{offer} Either the LPAR's SSH keys "
            "were regenerated (reinstall, restore) or something is intercepting the "
            "connection. If the change is expected, check the new fingerprint on the LPAR's "
            "console (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`), remove the old "
            f"entry with `ssh-keygen -R {shlex.quote(_known_hosts_name(lpar))} -f {file}`, "
            f"then accept the new key: `{_keyscan(lpar)}`."
        )
    else:
        message = (
            f"{lpar.name} ({lpar.address}): the host key is not in {lpar.known_hosts}, so "
            f"lkubot will not connect.{offer} {_accept_hint(lpar)}"
        )
    return HostKeyError(lpar.name, message, fingerprint=fingerprint)


def _accept_hint(lpar: Lpar) -> str:
    return (
        "To accept the LPAR's key deliberately, compare the fingerprint that "
        f"`ssh-keyscan -p {lpar.port} {shlex.quote(lpar.host)} | ssh-keygen -lf -` prints with "
        "`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the LPAR's console, and if "
        f"they match: `{_keyscan(lpar)}`."
    )


def _keyscan(lpar: Lpar) -> str:
    return (
        f"ssh-keyscan -p {lpar.port} {shlex.quote(lpar.host)} >> "
        f"{shlex.quote(str(lpar.known_hosts))}"
    )


def _known_hosts_name(lpar: Lpar) -> str:
    """How ssh-keyscan and ssh-keygen -R name the host: `host`, or `[host]:port` off port 22."""
    return lpar.host if lpar.port == 22 else f"[{lpar.host}]:{lpar.port}"


async def _open(
    conn: asyncssh.SSHClientConnection, lpar: Lpar, command: RemoteCommand
) -> asyncssh.SSHClientProcess[str]:
    try:
        process = await conn.create_process(command.line, encoding="utf-8", errors="replace")
    except (asyncssh.Error, OSError) as exc:
        raise _lost(lpar, command, exc) from None
    # No command lkubot runs reads its input; end it so none can wait on a prompt.
    process.stdin.write_eof()
    return process


async def _close_process(process: asyncssh.SSHClientProcess[str]) -> None:
    process.close()
    with contextlib.suppress(TimeoutError, asyncssh.Error, OSError):
        async with asyncio.timeout(_CLOSE_GRACE):
            await process.wait_closed()


async def _read_capped(reader: asyncssh.SSHReader[str], limit: int) -> tuple[str, bool]:
    """Everything `reader` yields until EOF, keeping at most `limit` characters."""
    kept: list[str] = []
    size = 0
    cut = False
    while chunk := await reader.read(_READ_CHUNK):
        if size < limit:
            kept.append(chunk[: limit - size])
        cut = cut or size + len(chunk) > limit
        size += len(chunk)
    return "".join(kept), cut


def _lost(lpar: Lpar, command: RemoteCommand, exc: BaseException | None) -> ConnectionLost:
    why = f" ({_reason(exc)})" if exc is not None else ""
    return ConnectionLost(
        lpar.name,
        f"{lpar.name} ({lpar.address}): the SSH connection dropped while `{command}` was "
        f"running{why}. Whether it finished on the LPAR is unknown.",
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused (nothing listens on that port)"
    if isinstance(exc, socket.gaierror):
        return f"the host name does not resolve ({exc.strerror})"
    if isinstance(exc, asyncssh.DisconnectError):
        return exc.reason or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
