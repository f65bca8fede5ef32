"""The launch's second look at the LPAR: a busy or unreachable LPAR refuses the launch and
keeps the approvals; only a changed fingerprint makes a request void."""

from __future__ import annotations

from pathlib import Path

import pytest

from liveupdate.requests import RequestState
from lpar import remote
from lpar.progress import OperationStarted
from lpar.refusals import RecheckFailed, RecheckUnavailable
from lpar.ssh import Connections
from sim.aix.faults import Hang
from sim.aix.state import Efix
from storage.errors import LparLocked
from storage.store import Store
from tests.lpar.harness import QUICK, Recorder, World, world


async def _state(w: World, request_id: str) -> RequestState:
    return (await w.store.call(Store.get_request, request_id)).state


async def test_a_launch_while_another_run_is_under_way_is_refused_and_previews_nothing(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        # The first run is past its prep and its operation runs: AIX refuses any preview.
        w.fleet.lpar("lpar001").state.faults.hang = Hang(phase="starting", seconds=1000)
        engine = w.engine()
        first = await w.request(engine, "lpar001")
        second = await w.request(engine, "lpar001")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, first)
            await recorder.until(lambda e: isinstance(e, OperationStarted))
            previews = len(w.received("lpar001", "geninstall -k -p"))
            with pytest.raises(LparLocked, match=f"lpar001 is held by {first.id}-1 since"):
                await w.launch(engine, second)
            assert len(w.received("lpar001", "geninstall -k -p")) == previews
            assert (await recorder.ended(first.id)).outcome == "succeeded"

        assert await _state(w, second.id) is RequestState.APPROVED
        assert len(w.operations("lpar001")) == 1


async def test_an_lpar_busy_with_an_update_started_by_hand_refuses_the_launch(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        # Someone starts a live update on the LPAR by hand, outside lkubot.
        w.fleet.lpar("lpar001").state.faults.hang = Hang(phase="starting")
        by_hand = remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=False)
        async with Connections(QUICK.ssh) as ssh:
            await ssh.run(
                w.inventory.lpar("lpar001"),
                remote.start_detached(by_hand, "/var/adm/ras/liveupdate/logs/by-hand.log"),
            )
        with pytest.raises(RecheckUnavailable) as refused:
            await w.launch(engine, request)

        assert str(refused.value).startswith(
            "lkubot could not preview lpar001 again just now, so it cannot tell whether what "
            "was approved still holds: another live update runs there (`geninstall -k -p "
        )
        assert str(refused.value).endswith(
            f"{request.id} stays approved: launch it again in a few minutes."
        )
        assert await _state(w, request.id) is RequestState.APPROVED
        assert await w.store.call(Store.runs_of, request.id) == []


async def test_an_lpar_out_of_reach_at_launch_refuses_it_and_a_later_launch_runs(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        lpar = w.fleet.lpar("lpar001")
        lpar.drop_connections(virtual_seconds=3_600_000)  # an hour of LPAR time
        with pytest.raises(RecheckUnavailable, match="could not preview lpar001 again"):
            await w.launch(engine, request)
        assert await _state(w, request.id) is RequestState.APPROVED

        lpar.unreachable_until = None  # the network is back
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            assert (await recorder.ended(request.id)).outcome == "succeeded"
        assert len(w.operations("lpar001")) == 1


async def test_a_check_that_fails_at_launch_refuses_it_while_the_approvals_stand(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        # An interim fix installed after the approval waits for a reboot: AIX's own preview
        # still passes, so the fingerprint is the same, but lkubot's check fails.
        w.fleet.lpar("lpar001").state.efixes.append(Efix(label="IJ99999s1", state="Q"))
        with pytest.raises(RecheckFailed) as refused:
            await w.launch(engine, request)

        assert str(refused.value) == (
            "lkubot previewed lpar001 again and checks fail there now (Interim fixes: "
            "IJ99999s1 need(s) a reboot (state *Q*): live update will not run until the LPAR "
            f"has rebooted.). Fix them and launch {request.id} again: it stays approved, "
            "since what was approved has not changed."
        )
        assert await _state(w, request.id) is RequestState.APPROVED
        assert w.operations("lpar001") == []


async def test_what_changed_since_the_approval_still_makes_the_request_void(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        state = w.fleet.lpar("lpar001").state
        state.lvupdate_data = (state.lvupdate_data or "") + "* edited after the approval\n"
        launched = await w.launch(engine, request)

        assert launched.state is RequestState.VOID
        assert launched.note is not None
        assert "changed before launch" in launched.note
        assert w.operations("lpar001") == []
