"""AIX commands that read or change the LPAR's state at once, with AIX's output formats.

Formats follow the captured samples (tests/fixtures/); SRC, ODM and shell messages are AIX's
own wording as admins see it. Where the wording is the simulator's own it says SIMULATED WORDING.
Every handler answers only the argument forms lkubot uses (docs/remote-commands.md) and the
example inventory's stage commands; any other form is "not simulated" (exit 127).
"""

from __future__ import annotations

import asyncio
import getopt
from collections.abc import Awaitable, Callable

from sim.aix.process import Invocation
from sim.aix.state import HmcToken, LparState

Handler = Callable[[Invocation], Awaitable[int]]
EXIT_NOT_SIMULATED = 127
HMC_PASSWORD_PROMPT = "Enter HMC password: "  # noqa: S105 (a prompt, not a secret)
# How long hmcauth waits for a password on stdin (wall seconds) before it gives up.
PASSWORD_WAIT_SECONDS = 10.0
_IPSEC_DESCRIPTIONS = {
    "ipsec_v4": "IP Version 4 Security Extension",
    "ipsec_v6": "IP Version 6 Security Extension",
}


def not_simulated(inv: Invocation) -> int:
    inv.out.write_stderr(
        f"{inv.argv[0]}: this form is not simulated by lkubot sim: {' '.join(inv.argv)}\n"
        "(a scenario can teach an LPAR a command under `commands`)\n"
    )
    return EXIT_NOT_SIMULATED


def render_lparstat(state: LparState) -> str:
    return "".join(f"{label:<43}: {value}\n" for label, value in state.lparstat.items())


def render_emgr(state: LparState) -> str:
    if not state.efixes:
        return "There is no efix data on this system.\n"
    rows = [
        f"{number:<3}  {fix.state:<4} {fix.label:<10} {fix.install_time:<17} {'':<10} "
        f"{fix.abstract:<37}\n"
        for number, fix in enumerate(state.efixes, start=1)
    ]
    return (
        "\nID  STATE LABEL      INSTALL TIME      UPDATED BY ABSTRACT\n"
        "=== ===== ========== ================= ========== ======================================\n"
        + "".join(rows)
        + "\n"
    )


def render_lspv(state: LparState) -> str:
    lines = []
    for disk in state.disks:
        status = "active" if disk.active else ""
        lines.append(f"{disk.name:<16}{disk.pvid:<36}{disk.volume_group:<16}{status}".rstrip())
    return "".join(line + "\n" for line in lines)


def render_hmcauth(state: LparState) -> str:
    token = state.hmc_token
    if token is None:
        return ""
    return f"Address : {token.address}\nUser name: {token.user}\nPort : {token.port}\n"


def render_genld(state: LparState) -> str:
    return "".join(
        f"Proc_pid: {proc.pid} Proc_name: {proc.name}\n" for proc in state.old_object_processes
    )


def _answer(arguments: list[str], render: Callable[[LparState], str]) -> Handler:
    """A command that prints part of the state, in exactly one argument form."""

    async def handler(inv: Invocation) -> int:
        if inv.argv[1:] != arguments:
            return not_simulated(inv)
        inv.out.write(render(inv.lpar.state))
        return 0

    return handler


async def cat(inv: Invocation) -> int:
    if len(inv.argv) < 2 or any(path.startswith("-") for path in inv.argv[1:]):
        return not_simulated(inv)
    status = 0
    for path in inv.argv[1:]:
        text = inv.lpar.read_file(path)
        if text is None:
            inv.out.write_stderr(f"cat: 0652-050 Cannot open {path}.\n")
            status = 2
        else:
            inv.out.write(text)
    return status


async def _read_password(inv: Invocation) -> str:
    inv.out.write(HMC_PASSWORD_PROMPT)
    if inv.stdin is None:
        return ""
    try:
        line = await asyncio.wait_for(inv.stdin.readline(), PASSWORD_WAIT_SECONDS)
    except TimeoutError:
        return ""
    return line.decode(errors="replace").strip()


async def hmcauth(inv: Invocation) -> int:
    state = inv.lpar.state
    if inv.argv[1:] == ["-l"]:
        inv.out.write(render_hmcauth(state))
        return 0
    try:
        options, rest = getopt.getopt(inv.argv[1:], "u:a:p:")
    except getopt.GetoptError:
        return not_simulated(inv)
    given = dict(options)
    if rest or "-u" not in given or "-a" not in given:
        return not_simulated(inv)
    password = given.get("-p") or await _read_password(inv)
    if not password:
        # SIMULATED WORDING
        inv.out.write_stderr(f"hmcauth: Authentication with {given['-a']} failed: no password.\n")
        return 1
    state.hmc_token = HmcToken(address=given["-a"], user=given["-u"])
    return 0


async def raso(inv: Invocation) -> int:
    words = inv.argv[1:]
    state = inv.lpar.state
    if words == ["-o", "llu_mode"]:
        inv.out.write(f"llu_mode = {state.llu_mode}\n")
        return 0
    if len(words) == 2 and words[0] in ("-o", "-po") and words[1].startswith("llu_mode="):
        value = words[1].removeprefix("llu_mode=")
        if value not in ("0", "1", "2"):
            # SIMULATED WORDING
            inv.out.write_stderr(f"raso: 1485-111 Value {value} is not valid for llu_mode.\n")
            return 2
        if words[0] == "-po":
            inv.out.write(f"Setting llu_mode to {value} in nextboot file\n")
        inv.out.write(f"Setting llu_mode to {value}\n")
        state.llu_mode = int(value)
        return 0
    return not_simulated(inv)


async def lsdev(inv: Invocation) -> int:
    if inv.argv[1:] != ["-Cc", "ipsec"]:
        return not_simulated(inv)
    for name, available in inv.lpar.state.ipsec_devices.items():
        status = "Available" if available else "Defined"
        inv.out.write(f"{name} {status:<10} {_IPSEC_DESCRIPTIONS.get(name, '')}\n")
    return 0


async def _set_device(inv: Invocation, available: bool) -> int:
    if len(inv.argv) != 3 or inv.argv[1] != "-l":
        return not_simulated(inv)
    name = inv.argv[2]
    devices = inv.lpar.state.ipsec_devices
    if name not in devices:
        # SIMULATED WORDING
        inv.out.write_stderr(f"{inv.argv[0]}: 0514-519 The device {name} was not found.\n")
        return 1
    devices[name] = available
    inv.out.write(f"{name} {'Available' if available else 'Defined'}\n")
    return 0


async def rmdev(inv: Invocation) -> int:
    return await _set_device(inv, available=False)


async def mkdev(inv: Invocation) -> int:
    return await _set_device(inv, available=True)


async def _control_subsystem(inv: Invocation, start: bool) -> int:
    if len(inv.argv) != 3 or inv.argv[1] != "-s":
        return not_simulated(inv)
    name = inv.argv[2]
    subsystems = inv.lpar.state.subsystems
    if name not in subsystems:
        inv.out.write_stderr(f"0513-085 The {name} Subsystem is not on file.\n")
        return 1
    if start and subsystems[name]:
        inv.out.write_stderr(
            f"0513-029 The {name} Subsystem is already active.\n"
            "Multiple instances are not supported.\n"
        )
        return 1
    if not start and not subsystems[name]:
        inv.out.write_stderr(
            f"0513-004 The Subsystem or Group, {name}, is currently inoperative.\n"
        )
        return 1
    subsystems[name] = start
    if start:
        inv.out.write(
            f"0513-059 The {name} Subsystem has been started. "
            f"Subsystem PID is {inv.lpar.new_pid()}.\n"
        )
    else:
        inv.out.write(f"0513-044 The {name} Subsystem was requested to stop.\n")
    return 0


async def startsrc(inv: Invocation) -> int:
    return await _control_subsystem(inv, start=True)


async def stopsrc(inv: Invocation) -> int:
    return await _control_subsystem(inv, start=False)


STATE_COMMANDS: dict[str, Handler] = {
    "oslevel": _answer(["-s"], lambda state: state.oslevel + "\n"),
    "lparstat": _answer(["-i"], render_lparstat),
    "emgr": _answer(["-l"], render_emgr),
    "lspv": _answer([], render_lspv),
    "genld": _answer(["-u"], render_genld),
    "hmcauth": hmcauth,
    "cat": cat,
    "raso": raso,
    "lsdev": lsdev,
    "rmdev": rmdev,
    "mkdev": mkdev,
    "stopsrc": stopsrc,
    "startsrc": startsrc,
}
