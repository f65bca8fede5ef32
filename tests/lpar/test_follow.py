"""Following an operation log across SSH drops: every line once, in order, with the outage
reported, and only the errors an admin must fix raised."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from pathlib import Path

import pytest

from liveupdate.runs import remote_log_path
from lpar import remote
from lpar.follow import Backoff, FollowEvent, LinkDown, LinkUp, LogLine, LogUnavailable, follow_log
from lpar.inventory import Lpar
from lpar.ssh import Connections, HostKeyError
from sim.aix.faults import ConnectionDrop
from sim.aix.fleet import Fleet
from tests.lpar.conftest import WAIT, eventually

UPDATE = remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=False)
QUICK = Backoff(first=0.02, factor=2, slowest=0.1)


async def _start(ssh: Connections, lpar: Lpar, request_id: str = "LU-17") -> str:
    log = remote_log_path(lpar.log_dir, request_id, 1)
    result = await ssh.run(lpar, remote.start_detached(UPDATE, log))
    assert result.ok, result.stderr
    return log


async def _until_exit(
    ssh: Connections, lpar: Lpar, log: str, consumed: int = 0
) -> list[FollowEvent]:
    events: list[FollowEvent] = []
    async with (
        asyncio.timeout(WAIT),
        contextlib.aclosing(follow_log(ssh, lpar, log, consumed=consumed, backoff=QUICK)) as feed,
    ):
        async for event in feed:
            events.append(event)
            if isinstance(event, LogLine) and event.text.startswith(remote.EXIT_MARKER):
                break
    return events


def _lines(events: list[FollowEvent]) -> list[LogLine]:
    return [event for event in events if isinstance(event, LogLine)]


async def test_a_drop_during_the_blackout_loses_and_repeats_nothing(
    fleet: Fleet, lpar: Lpar, ssh: Connections
) -> None:
    fleet.lpar("lpar001").state.faults.drop = ConnectionDrop(phase="blackout", seconds=120)
    log = await _start(ssh, lpar)
    events = await _until_exit(ssh, lpar, log)

    lines = _lines(events)
    assert [line.number for line in lines] == list(range(1, len(lines) + 1))
    assert [line.text for line in lines] == fleet.lpar("lpar001").logs[log].lines
    downs = [event for event in events if isinstance(event, LinkDown)]
    ups = [event for event in events if isinstance(event, LinkUp)]
    assert downs
    assert [down.attempt for down in downs] == list(range(1, len(downs) + 1))
    assert "the SSH connection dropped" in downs[0].reason
    assert len(ups) == 1
    # Following resumed right after the last line seen before the drop.
    before = events.index(downs[0])
    last_seen = max(line.number for line in _lines(events[:before]))
    assert ups[0].resumed_at == last_seen + 1
    # The LPAR cuts the link as it writes the blackout line, which may or may not arrive first.
    assert any(
        "Blackout Time started." in line.text for line in lines[last_seen - 1 : last_seen + 1]
    )
    assert ups[0].down_for >= downs[-1].down_for
    # The operation was started once, whatever the link did.
    operations = [c for c in fleet.lpar("lpar001").commands if c.operation is not None]
    assert len(operations) == 1


async def test_following_resumes_after_a_saved_offset(
    fleet: Fleet, lpar: Lpar, ssh: Connections
) -> None:
    log = await _start(ssh, lpar)
    await eventually(lambda: len(fleet.lpar("lpar001").logs[log].lines) > 5)
    lines = _lines(await _until_exit(ssh, lpar, log, consumed=5))
    assert lines[0].number == 6
    assert [line.text for line in lines] == fleet.lpar("lpar001").logs[log].lines[5:]


async def test_a_long_outage_is_retried_ever_more_slowly_until_the_lpar_is_back(
    fleet: Fleet, lpar: Lpar, ssh: Connections
) -> None:
    log = await _start(ssh, lpar)
    events: list[FollowEvent] = []
    async with (
        asyncio.timeout(WAIT),
        contextlib.aclosing(follow_log(ssh, lpar, log, consumed=0, backoff=QUICK)) as feed,
    ):
        async for event in feed:
            events.append(event)
            if isinstance(event, LogLine) and event.number == 3:
                await fleet.stop_servers()
            if isinstance(event, LinkDown) and event.attempt == 4:
                await fleet.start_servers()
            if isinstance(event, LogLine) and event.text.startswith(remote.EXIT_MARKER):
                break
    downs = [event for event in events if isinstance(event, LinkDown)]
    assert [down.retry_in for down in downs[:4]] == [0.02, 0.04, 0.08, 0.1]
    assert downs[0].reason.startswith("lpar001 (")
    assert any("cannot be reached" in down.reason for down in downs)
    assert all(a.down_for <= b.down_for for a, b in itertools.pairwise(downs))
    lines = _lines(events)
    assert [line.text for line in lines] == fleet.lpar("lpar001").logs[log].lines


async def test_a_missing_log_is_reported_not_retried(lpar: Lpar, ssh: Connections) -> None:
    missing = remote_log_path(lpar.log_dir, "LU-404", 1)
    with pytest.raises(LogUnavailable) as caught:
        await _until_exit(ssh, lpar, missing)
    assert str(caught.value).startswith(
        f"lpar001: following {missing} stopped: tail exited with status 2 (tail: Cannot open"
    )


async def test_a_host_key_problem_is_raised_at_once(
    lpar: Lpar, ssh: Connections, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(HostKeyError):
        await _until_exit(ssh, lpar.model_copy(update={"known_hosts": empty}), "/tmp/x.log")


def test_backoff_grows_to_its_slowest_pace() -> None:
    pace = Backoff(first=1, factor=2, slowest=60)
    assert [pace.delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert pace.delay(10_000) == 60
