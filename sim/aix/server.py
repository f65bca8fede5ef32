"""The SSH side of a simulated LPAR: an asyncssh server that accepts only the fleet's client
key for root, runs each exec request through `sim.aix.shell`, and refuses shells."""

from __future__ import annotations

import asyncio
import contextlib

import asyncssh

from sim.aix.lpar import Lpar
from sim.aix.process import EXIT_HANGUP, Process
from sim.aix.shell import execute

LOGIN_USER = "root"
# AES-GCM runs in OpenSSL with hardware help; asyncssh's chacha20-poly1305 builds a cipher
# context per packet and costs about twice the CPU. Every OpenSSH client offers AES-GCM.
ENCRYPTION_ALGS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes256-ctr")


class _ChannelOutput:
    def __init__(self, channel: asyncssh.SSHServerChannel[str]) -> None:
        self._channel = channel
        self.closed = False

    def write(self, text: str) -> None:
        if not self.closed:
            self._channel.write(text)

    def write_stderr(self, text: str) -> None:
        if not self.closed:
            self._channel.write_stderr(text)


class LparSession(asyncssh.SSHServerSession[str]):
    """One exec channel: the command runs as an LPAR process; closing the channel hangs it up."""

    def __init__(self, lpar: Lpar) -> None:
        self._lpar = lpar
        self._command = ""
        self._stdin = asyncio.StreamReader()
        self._output: _ChannelOutput | None = None
        self._channel: asyncssh.SSHServerChannel[str] | None = None
        self._process: Process | None = None
        self._task: asyncio.Task[None] | None = None

    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self._channel = chan
        self._output = _ChannelOutput(chan)

    def shell_requested(self) -> bool:
        return False  # interactive shells are not simulated; lkubot only sends commands

    def exec_requested(self, command: str) -> bool:
        self._command = command
        return True

    def session_started(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._output is not None
        assert self._channel is not None
        self._process = execute(self._lpar, self._command, self._output, self._stdin)
        status = await self._process.wait()
        if not self._output.closed:
            self._channel.exit(status)

    def data_received(self, data: str, datatype: asyncssh.DataType) -> None:
        self._stdin.feed_data(data.encode())

    def eof_received(self) -> bool:
        self._stdin.feed_eof()
        return True  # keep the channel open: output may still follow (ssh -n sends EOF at once)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._output is not None:
            self._output.closed = True
        if self._process is not None:
            self._process.signal(EXIT_HANGUP)
        if self._task is not None:
            self._task.cancel()


class LparServer(asyncssh.SSHServer):
    """One SSH connection to the LPAR. While the LPAR is unreachable (a dropped-connection
    fault), connections are cut as soon as they are made."""

    def __init__(self, lpar: Lpar, client_key: asyncssh.SSHKey) -> None:
        self._lpar = lpar
        self._client_key = client_key.public_data
        self._connection: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connection = conn
        if not self._lpar.reachable:
            conn.abort()
            return
        self._lpar.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._connection is not None:
            self._lpar.connections.discard(self._connection)

    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == LOGIN_USER and key.public_data == self._client_key

    def session_requested(self) -> LparSession:
        return LparSession(self._lpar)


async def listen(
    lpar: Lpar, port: int, host_key: asyncssh.SSHKey, client_key: asyncssh.SSHKey
) -> asyncssh.SSHAcceptor:
    return await asyncssh.listen(
        "127.0.0.1",
        port,
        server_factory=lambda: LparServer(lpar, client_key),
        server_host_keys=[host_key],
        password_auth=False,
        kbdint_auth=False,
        gss_host=None,
        encryption_algs=list(ENCRYPTION_ALGS),
        allow_scp=False,
        agent_forwarding=False,
        x11_forwarding=False,
    )


async def close(acceptor: asyncssh.SSHAcceptor) -> None:
    acceptor.close()
    with contextlib.suppress(Exception):
        await acceptor.wait_closed()
