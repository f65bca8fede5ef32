"""Live library updates: started detached like a kernel update, with per-process results and a
clean-up offer when processes fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from liveupdate.checks import CheckStatus, UpdateKind
from liveupdate.requests import RequestState
from lpar.progress import LluProcessReported, RunEnded
from lpar.refusals import LluSelectionRefused
from sim.aix.faults import LluTimeouts, LluUnreported
from storage.store import Store
from tests.lpar.harness import Recorder, world

PROCESSES = [
    {"pid": 4391388, "name": "sshd"},
    {"pid": 4784408, "name": "syslogd"},
    {"pid": 5177620, "name": "cron", "module": "/usr/lib/libc.a(_shr.o)"},
]
SCENARIO = {"lpars": {"lpar001": {"llu_processes": PROCESSES}}}


async def test_a_live_library_update_reports_each_process_and_offers_the_clean_up(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, scenario=SCENARIO) as w:
        w.fleet.lpar("lpar001").state.faults.llu_timeouts = LluTimeouts(pids=[4784408])
        engine = w.engine()
        request = await w.request(engine, "lpar001", UpdateKind.LLU)
        preview = request.previews[0]
        verdict = {c.key: c for c in preview.checks}["preview"]
        assert verdict.status is CheckStatus.PASS
        assert "3 process(es) would move to the new library" in verdict.summary
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            ended = await recorder.ended(request.id)

        assert ended.outcome == "failed"
        [operation] = w.operations("lpar001")
        assert operation == (
            f"llvupdate -a -n 3 -t 30 -l /var/adm/ras/liveupdate/logs/lkubot-{request.id}-1"
            ".llvupdlog"
        )
        reported = {(e.pid, e.outcome) for e in recorder.of(LluProcessReported)}
        assert reported == {(4391388, "succeeded"), (4784408, "timed_out"), (5177620, "succeeded")}
        [run_ended] = recorder.of(RunEnded)
        assert run_ended.cleanup == "cllvupdate -u"
        assert run_ended.llu is not None
        assert {p.pid: p.outcome for p in run_ended.llu.processes} == {
            4391388: "succeeded",
            4784408: "timed_out",
            5177620: "succeeded",
        }
        assert run_ended.message is not None
        assert "not updated: 4784408 (timed out)" in run_ended.message
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.FAILED
        snapshot = await engine.snapshot(run_ended.run_id)
        assert snapshot.llu == run_ended.llu
        assert snapshot.cleanup == "cllvupdate -u"

        # An admin takes the offer.
        assert w.fleet.lpar("lpar001").state.llu_cleanup_pending
        cleaned = await engine.cleanup(run_ended.run_id, by="U0ADMIN01")
        assert cleaned.ok
        assert cleaned.last_lines == (
            "Clean up of the failed Live library Update operation completed.",
        )
        assert not w.fleet.lpar("lpar001").state.llu_cleanup_pending


async def test_chosen_processes_are_updated_with_dash_p_when_the_preview_listed_them(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, scenario=SCENARIO) as w:
        engine = w.engine()
        request = await w.request(engine, "lpar001", UpdateKind.LLU)
        with pytest.raises(LluSelectionRefused, match="12345 is not among them"):
            await w.launch(engine, request, llu_pids=[4391388, 12345])
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request, llu_pids=[4391388])
            ended = await recorder.ended(request.id)

        assert ended.outcome == "succeeded"
        assert w.operations("lpar001")[0].startswith("llvupdate -p 4391388 -n 3 -t 30 -l ")
        assert {(e.pid, e.outcome) for e in recorder.of(LluProcessReported)} == {
            (4391388, "succeeded")
        }


async def test_results_missing_from_the_output_are_read_from_llvupdates_own_log(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, scenario=SCENARIO) as w:
        w.fleet.lpar("lpar001").state.faults.llu_unreported = LluUnreported(pids=[4784408])
        engine = w.engine()
        request = await w.request(engine, "lpar001", UpdateKind.LLU)
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            ended = await recorder.ended(request.id)

        assert ended.outcome == "succeeded"
        [run_ended] = recorder.of(RunEnded)
        assert run_ended.llu is not None
        assert {p.pid: p.outcome for p in run_ended.llu.processes} == {
            4391388: "succeeded",
            4784408: "succeeded",
            5177620: "succeeded",
        }
        log = f"/var/adm/ras/liveupdate/logs/lkubot-{request.id}-1.llvupdlog"
        assert w.received("lpar001", "cat ") == [f"cat {log}"]


async def test_a_process_no_account_names_leaves_the_run_unverified_not_succeeded(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, scenario=SCENARIO) as w:
        w.fleet.lpar("lpar001").state.faults.llu_unreported = LluUnreported(
            pids=[5177620], in_own_log=False
        )
        engine = w.engine()
        request = await w.request(engine, "lpar001", UpdateKind.LLU)
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            ended = await recorder.ended(request.id)

        assert ended.outcome == "unverified"
        [run_ended] = recorder.of(RunEnded)
        assert run_ended.outcome == "unverified"
        assert run_ended.llu is not None
        assert {p.pid: p.outcome for p in run_ended.llu.processes}[5177620] == "unknown"
        assert run_ended.message is not None
        assert run_ended.message.startswith(
            "The live library update exited with status 0, but neither its output nor its log "
            f"/var/adm/ras/liveupdate/logs/lkubot-{request.id}-1.llvupdlog says how "
            "process(es) 5177620 fared, so lkubot does not call it a success."
        )
        assert run_ended.cleanup == "cllvupdate -u"
        request = await w.store.call(Store.get_request, request.id)
        assert request.state is RequestState.UNVERIFIED
        assert await w.store.call(Store.locks) == []
