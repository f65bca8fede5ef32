"""How a simulated LPAR runs what it receives over SSH: the detached start wrapper, `tail`,
`ps`, `kill`, the scenario's own commands, and the AIX commands; anything else is refused
with exit 127 so that nothing passes by accident.

The wrapper is recognised in exactly the shape of docs/remote-commands.md (one line):

    set -C; nohup sh -c 'CMD & echo "lkubot-pid: $!"; wait $!; echo "lkubot-exit: $?"'
        > LOG 2>&1 < /dev/null &

and with the shell's noclobber (`set -C`) as a shell applies it: when LOG exists, the
redirection fails, nothing starts, the shell's message goes to stderr and the command still
exits 0 (the refusal happens in the background job).
"""

from __future__ import annotations

import asyncio
import re
import shlex
from dataclasses import dataclass

from sim.aix.aix_commands import EXIT_NOT_SIMULATED, STATE_COMMANDS, Handler, not_simulated
from sim.aix.kernel_update import clvupdate, geninstall
from sim.aix.library_update import cllvupdate, llvupdate
from sim.aix.lpar import Lpar
from sim.aix.process import EXIT_TERMINATED, Invocation, LogOutput, Output, Process

_INNER_SCRIPT = re.compile(
    r'^(?P<command>.+) & echo "lkubot-pid: \$!"; wait \$!; echo "lkubot-exit: \$\?"$', re.DOTALL
)
_SHELL_OPERATORS = set("();<>|&`$")


@dataclass(frozen=True)
class DetachedStart:
    command: str
    log: str


def parse_detached_start(command: str) -> DetachedStart | None:
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if (
        len(words) != 12
        or words[:5] != ["set", "-C;", "nohup", "sh", "-c"]
        or words[6] != ">"
        or words[8:] != ["2>&1", "<", "/dev/null", "&"]
        or not words[7].startswith("/")
    ):
        return None
    inner = _INNER_SCRIPT.match(words[5])
    return DetachedStart(inner["command"], words[7]) if inner else None


def _uses_shell_syntax(command: str) -> bool:
    """Pipes, lists, redirections, substitutions: a shell would act on them, this one won't."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return True
    return any(set(token) <= _SHELL_OPERATORS for token in tokens) or any(
        char in command for char in "`$"
    )


async def tail(inv: Invocation) -> int:
    words = inv.argv[1:]
    follow = len(words) == 4 and words[2] == "-f"
    if follow:
        words = [words[0], words[1], words[3]]
    if len(words) != 3 or words[0] != "-n" or not re.fullmatch(r"\+\d+", words[1]):
        return not_simulated(inv)
    start = max(int(words[1]) - 1, 0)
    path = words[2]
    log = inv.lpar.logs.get(path)
    if log is None:
        text = inv.lpar.read_file(path)
        if text is None:
            inv.out.write_stderr(f"tail: Cannot open {path}.\n")  # SIMULATED WORDING
            return 2
        inv.out.write("".join(line + "\n" for line in text.splitlines()[start:]))
        if follow:
            await asyncio.Event().wait()  # nothing appends to it: wait for the hangup
        return 0
    sent = start
    inv.out.write("".join(line + "\n" for line in log.lines[sent:]))
    sent = max(sent, len(log.lines))
    # Following ends when the client closes the channel: the session hangs this process up.
    while follow:
        await log.grown()
        inv.out.write("".join(line + "\n" for line in log.lines[sent:]))
        sent = len(log.lines)
    return 0


def _known_pids(lpar: Lpar) -> set[int]:
    pids = set(lpar.processes)
    pids.update(p.pid for p in lpar.state.llu_processes)
    pids.update(p.pid for p in lpar.state.old_object_processes)
    return pids


async def ps(inv: Invocation) -> int:
    words = inv.argv[1:]
    if len(words) != 4 or words[0] != "-p" or words[2:] != ["-o", "pid="] or not words[1].isdigit():
        return not_simulated(inv)
    pid = int(words[1])
    if pid not in _known_pids(inv.lpar):
        return 1
    inv.out.write(f"{pid:>8}\n")
    return 0


async def kill(inv: Invocation) -> int:
    words = inv.argv[1:]
    if len(words) != 2 or words[0] not in ("-TERM", "-15") or not words[1].isdigit():
        return not_simulated(inv)
    pid = int(words[1])
    process = inv.lpar.processes.get(pid)
    if process is None:
        inv.out.write_stderr(f"kill: {pid}: 0403-003 The specified process does not exist.\n")
        return 1
    # SIMULATED BEHAVIOUR: past the point of no return the live update carries on although
    # the signal was delivered; kill itself succeeds, as it would on AIX.
    process.signal(EXIT_TERMINATED)
    return 0


COMMANDS: dict[str, Handler] = {
    **STATE_COMMANDS,
    "geninstall": geninstall,
    "clvupdate": clvupdate,
    "llvupdate": llvupdate,
    "cllvupdate": cllvupdate,
    "tail": tail,
    "ps": ps,
    "kill": kill,
}


async def _run(
    lpar: Lpar,
    command: str,
    out: Output,
    stdin: asyncio.StreamReader | None,
    process: Process,
) -> int:
    try:
        argv = shlex.split(command)
    except ValueError:
        argv = []
    canned = next((c for c in lpar.state.commands if argv and c.argv == argv), None)
    if canned is not None:
        out.write(
            canned.output
            if not canned.output or canned.output.endswith("\n")
            else canned.output + "\n"
        )
        return canned.exit_code
    if not argv or _uses_shell_syntax(command):
        out.write_stderr(f"sh: this command is not simulated by lkubot sim: {command}\n")
        return EXIT_NOT_SIMULATED
    handler = COMMANDS.get(argv[0])
    invocation = Invocation(lpar, argv, out, stdin, process)
    if handler is None:
        return not_simulated(invocation)
    return await handler(invocation)


def execute(lpar: Lpar, command: str, out: Output, stdin: asyncio.StreamReader | None) -> Process:
    """Run a command received over SSH. The returned process ends with the command's exit
    status; a detached start returns at once with status 0 and leaves the operation running."""
    detached = parse_detached_start(command)
    if detached is None:
        lpar.record(command)
        return lpar.spawn(command, lambda process: _run(lpar, command, out, stdin, process))
    if lpar.read_file(detached.log) is not None:
        lpar.record(command, start_refused=True)
        # SIMULATED WORDING (ksh88's message for noclobber)
        return lpar.spawn(command, lambda _: _refuse(out, f"{detached.log}: file already exists"))
    if lpar.state.faults.logs_unwritable:
        lpar.record(command, start_refused=True)
        # SIMULATED WORDING (AIX ksh's, from memory, not captured)
        refusal = f"{detached.log}: 0403-005 Cannot create the specified file."
        return lpar.spawn(command, lambda _: _refuse(out, refusal))
    lpar.record(command, operation=detached.command)
    log = lpar.open_log(detached.log)
    operation = lpar.spawn(
        detached.command,
        lambda process: _run(lpar, detached.command, LogOutput(log), None, process),
    )
    log.write(f"lkubot-pid: {operation.pid}\n")

    async def shell(_: Process) -> int:
        status = await operation.wait()
        log.write(f"lkubot-exit: {status}\n")
        return status

    lpar.spawn(f"sh -c {detached.command}", shell)
    return lpar.spawn(command, _returns_at_once)


async def _returns_at_once(_: Process) -> int:
    return 0


async def _refuse(out: Output, why: str) -> int:
    """The background job's `> LOG` failed: nothing started, the shell said why, and the
    foreground command, which only put the job in the background, exits 0."""
    out.write_stderr(f"ksh: {why}\n")
    return 0
