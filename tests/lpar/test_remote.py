"""The command lines of docs/remote-commands.md, exactly, and nothing a value can reshape."""

from __future__ import annotations

import shlex
import string
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from lpar import remote
from lpar.names import FilesetName, HostName, LparName, RemotePath, UnixUser

LOG = "/var/adm/ras/liveupdate/logs/lkubot-LU-17-1.log"


def test_state_reading_commands_are_the_documented_ones() -> None:
    assert [
        str(c)
        for c in (
            remote.oslevel(),
            remote.lparstat(),
            remote.hmcauth_list(),
            remote.read_file("/var/adm/ras/liveupdate/lvupdate.data"),
            remote.lspv(),
            remote.emgr_list(),
            remote.llu_mode(),
            remote.genld(),
            remote.read_file(remote.CONFIG_DIFF),
            remote.llvupdate_preview(),
        )
    ] == [
        "oslevel -s",
        "lparstat -i",
        "hmcauth -l",
        "cat /var/adm/ras/liveupdate/lvupdate.data",
        "lspv",
        "emgr -l",
        "raso -o llu_mode",
        "genld -u",
        "cat /var/adm/ras/config.diff",
        "llvupdate -P",
    ]


def test_geninstall_preview_and_operation() -> None:
    preview = remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=True)
    assert preview.line == "geninstall -k -p -d /mnt/7300-03-01 update_all"
    operation = remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=False)
    assert operation.line == "geninstall -k -d /mnt/7300-03-01 update_all"
    fixes = remote.geninstall(["IZ12345.140806.epkg.Z", "bos.rte.libc"], media=None, preview=True)
    assert fixes.line == "geninstall -k -p IZ12345.140806.epkg.Z bos.rte.libc"


@pytest.mark.parametrize(
    "items", [[], ["-Y"], ["update_all; reboot"], ["$(reboot)"], ["a b"], [""]]
)
def test_geninstall_refuses_items_that_are_not_fileset_names(items: list[str]) -> None:
    with pytest.raises(ValidationError):
        remote.geninstall(items, media=None, preview=True)


def test_geninstall_refuses_a_media_that_is_not_a_plain_absolute_path() -> None:
    for media in ("mnt", "/mnt/x;reboot", "/mnt/../etc", "-d"):
        with pytest.raises(ValidationError):
            remote.geninstall(["all"], media=media, preview=True)


def test_llvupdate_all_and_listed_processes() -> None:
    log = "/var/adm/ras/liveupdate/logs/lkubot-LU-18-1.log"
    assert (
        remote.llvupdate(pids=None, retries=3, timeout=30, log=log).line
        == f"llvupdate -a -n 3 -t 30 -l {log}"
    )
    assert (
        remote.llvupdate(pids=[5046728, 4587654], retries=3, timeout=30, log=log).line
        == f"llvupdate -p '5046728 4587654' -n 3 -t 30 -l {log}"
    )
    with pytest.raises(ValidationError):
        remote.llvupdate(pids=None, retries=3, timeout=301, log=log)
    with pytest.raises(ValidationError):
        remote.llvupdate(pids=[], retries=3, timeout=30, log=log)
    assert remote.cllvupdate().line == "cllvupdate -u"
    assert remote.clvupdate().line == "clvupdate"


def test_the_detached_start_has_exactly_the_documented_shape() -> None:
    operation = remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=False)
    assert remote.start_detached(operation, LOG).line == (
        "set -C; nohup sh -c 'geninstall -k -d /mnt/7300-03-01 update_all & "
        'echo "lkubot-pid: $!"; wait $!; echo "lkubot-exit: $?"\''
        f" > {LOG} 2>&1 < /dev/null &"
    )


def test_the_detached_start_really_detaches_and_writes_its_markers(tmp_path: Path) -> None:
    # Run the exact line through a POSIX shell: the wrapper must return while the operation
    # still runs (it waits for a file the test creates afterwards, at most 10 s), and the log
    # must hold the operation's output between the pid marker and the exit marker.
    log, go = tmp_path / "op.log", tmp_path / "go"
    script = (
        f"echo working; i=0; while [ ! -e {shlex.quote(str(go))} ] && [ $i -lt 200 ]; "
        "do sleep 0.05; i=$((i+1)); done; exit 3"
    )
    operation = remote.RemoteCommand(shlex.join(["sh", "-c", script]))
    wrapper = remote.start_detached(operation, str(log)).line
    subprocess.run(["sh", "-c", wrapper], check=True, timeout=8)
    assert not (log.exists() and "lkubot-exit" in log.read_text()), "it waited for the end"
    go.touch()
    deadline = time.monotonic() + 10
    # The background job opens the log itself, so the file may appear a moment later.
    while not (log.exists() and log.read_text().endswith("lkubot-exit: 3\n")):
        assert time.monotonic() < deadline, "the operation never wrote its exit marker"
        time.sleep(0.05)
    lines = log.read_text().splitlines()
    assert len(lines) == 3
    pid_line = next(line for line in lines if line.startswith(remote.PID_MARKER))
    assert int(pid_line.removeprefix(remote.PID_MARKER)) > 1
    # The pid marker and the operation's first line race each other; both come before the end.
    assert set(lines[:2]) == {pid_line, "working"}
    assert lines[-1] == "lkubot-exit: 3"


def _until_exit_marker(log: Path) -> None:
    deadline = time.monotonic() + 10
    while not (log.exists() and remote.EXIT_MARKER in log.read_text()):
        assert time.monotonic() < deadline, "the operation never wrote its exit marker"
        time.sleep(0.02)


def _counting_operation(ran: Path) -> remote.RemoteCommand:
    """An operation that adds a line to `ran` each time it really runs."""
    return remote.RemoteCommand(shlex.join(["sh", "-c", f"echo ran >> {shlex.quote(str(ran))}"]))


def test_a_second_start_whose_log_exists_is_refused_and_starts_nothing(tmp_path: Path) -> None:
    # lkubot sends the start again when it cannot tell whether the first one left; the
    # shell's noclobber must then refuse the second one and start nothing.
    log, ran = tmp_path / "op.log", tmp_path / "ran"
    wrapper = remote.start_detached(_counting_operation(ran), str(log)).line
    subprocess.run(["sh", "-c", wrapper], check=True, timeout=8)
    _until_exit_marker(log)
    first = log.read_text()

    again = subprocess.run(["sh", "-c", wrapper], capture_output=True, text=True, timeout=8)

    # The refusal happens in the background job: the command itself exits 0, and the shell
    # says why on stderr. Only the log tells which start runs.
    assert again.returncode == 0
    assert str(log) in again.stderr
    time.sleep(0.3)  # a start that got through would have run its operation by now
    assert log.read_text() == first
    assert ran.read_text() == "ran\n"


def test_two_starts_at_the_same_moment_run_the_operation_once(tmp_path: Path) -> None:
    # The shell creates the log with O_EXCL under noclobber, so of two starts racing (one
    # that lkubot could not tell had left, and the one sent again) exactly one gets it.
    log, ran = tmp_path / "op.log", tmp_path / "ran"
    wrapper = remote.start_detached(_counting_operation(ran), str(log)).line
    starts = [
        subprocess.Popen(["sh", "-c", wrapper], stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    refusals = [start.communicate(timeout=8)[1] for start in starts]
    _until_exit_marker(log)
    time.sleep(0.3)  # a second operation that got through would have run by now

    assert ran.read_text() == "ran\n"
    assert [r for r in refusals if str(log) in r] != []
    markers = [line for line in log.read_text().splitlines() if line.startswith("lkubot-")]
    assert len(markers) == 2  # one pid line and one exit line: one operation


def test_follow_tail_ps_and_kill() -> None:
    assert remote.tail(LOG, 1).line == f"tail -n +1 {LOG}"
    assert remote.follow(LOG, 42).line == f"tail -n +42 -f {LOG}"
    assert remote.is_running(4587654).line == "ps -p 4587654 -o pid="
    assert remote.terminate(4587654).line == "kill -TERM 4587654"
    for bad in (0, 1, -5, True):
        with pytest.raises(ValidationError):
            remote.terminate(bad)
    with pytest.raises(ValidationError):
        remote.follow(LOG, 0)


def test_a_stage_command_is_sent_as_the_admin_wrote_it() -> None:
    assert remote.configured("/etc/rc.d/ipfilter.sh unload").line == "/etc/rc.d/ipfilter.sh unload"
    with pytest.raises(ValidationError):
        remote.configured("stopsrc -s pfcdaemon\nreboot")


_SHELL_TEXT = st.text(alphabet=string.printable + "äé€", max_size=40)


@pytest.mark.parametrize("kind", [LparName, HostName, UnixUser, RemotePath, FilesetName])
def test_every_accepted_value_is_one_plain_shell_word(kind: object) -> None:
    # Whatever text is offered, a value that passes validation needs no quoting and cannot be
    # taken for an option: quoting is a second line of defence, not the only one.
    adapter: TypeAdapter[str] = TypeAdapter(kind)

    @given(st.one_of(_SHELL_TEXT, st.from_regex(r"[A-Za-z0-9./_:%+-]{1,30}", fullmatch=True)))
    def check(text: str) -> None:
        try:
            value = adapter.validate_python(text)
        except ValidationError:
            return
        assert shlex.quote(value) == value
        assert not value.startswith("-")

    check()
