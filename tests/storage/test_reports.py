"""`lkubot history LPAR` and `lkubot audit export`: what admins and auditors read."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from liveupdate.requests import Finish, Launch, Reject
from liveupdate.runs import RunEvent, RunState, advance_run
from storage.reports import history
from storage.store import Store
from tests.policy.factory import ADMIN, CAROL, REQUESTER
from tests.storage.conftest import LOG_DIR, NOW, open_approved, open_pending

LATER = NOW + timedelta(minutes=5)


def finished_run(store: Store, policy) -> None:
    """LU-1: approved, launched, one phase seen, succeeded with a 14.2 s blackout."""
    request = open_approved(store, policy)
    event = Launch(user=REQUESTER, fingerprints=request.fingerprints)
    (run,) = store.launch(request.id, event, policy, LATER, {"lpar01": LOG_DIR}).runs
    run = store.save_run(advance_run(run, RunState.RUNNING, LATER, remote_pid=4242), LATER)
    phase = RunEvent(offset=4, type="blackout_started", payload='{"phase": 17}', at=LATER)
    run = store.record_run_lines(run.id, [phase], lines_consumed=4)
    store.save_run(
        advance_run(run, RunState.SUCCEEDED, LATER, blackout_seconds=14.2),
        LATER,
        request_event=Finish(outcome="succeeded"),
    )


def test_history_lists_an_lpars_requests_newest_first_with_their_runs(store: Store, policy) -> None:
    finished_run(store, policy)
    rejected = open_pending(store, policy)
    store.apply(rejected.id, Reject(user=CAROL, reason="DB team objects"), policy, LATER)
    open_pending(store, policy, "lpar02")
    entries = history(store, "lpar01")
    assert [e.request_id for e in entries] == ["LU-2", "LU-1"]
    assert entries[0].rejected_by == CAROL
    assert entries[0].run is None
    assert entries[1].approved_by == ("U0ALICE01", "U0BOB0001")
    assert entries[1].run is not None
    assert entries[1].run.blackout_seconds == 14.2
    assert history(store, "lpar03") == []


def test_history_from_the_command_line(store: Store, policy, db_path: Path) -> None:
    finished_run(store, policy)
    result = CliRunner().invoke(main, ["history", "lpar01", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "LU-1" in result.output
    assert "LU-1-1 succeeded, blackout 14.2 s" in result.output
    nothing = CliRunner().invoke(main, ["history", "lpar07", "--db", str(db_path)])
    assert nothing.output == "No requests for lpar07 in this database.\n"


def test_the_json_export_holds_the_evidence(store: Store, policy, db_path: Path) -> None:
    finished_run(store, policy)
    result = CliRunner().invoke(main, ["audit", "export", "--db", str(db_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.output)
    assert record["request_id"] == "LU-1"
    assert record["fingerprint"] == store.get_request("LU-1").fingerprint
    assert record["votes"][0]["comment"] == "tested on lpar09"
    assert record["outcome"] == "succeeded"
    (run,) = record["runs"]
    assert run["run"]["blackout_seconds"] == 14.2
    assert run["phases"][0]["payload"] == {"phase": 17}
    assert [a["action"] for a in record["audit"]][-1] == "request.finish"


def test_the_csv_export_has_one_row_per_request(store: Store, policy, db_path: Path) -> None:
    finished_run(store, policy)
    store.set_freeze(active=True, by=ADMIN, reason="audit", now=NOW)
    result = CliRunner().invoke(main, ["audit", "export", "--db", str(db_path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    (row,) = csv.DictReader(io.StringIO(result.output))
    assert row["approvals"].startswith("U0ALICE01 2026-11-28T22:00:00+00:00: tested on lpar09 | ")
    assert row["blackout_seconds"] == "lpar01 14.2"
    assert row["phases"] == "lpar01: blackout_started"
    assert row["outcome"] == "succeeded"


def test_export_since_leaves_older_requests_out(store: Store, policy, db_path: Path) -> None:
    finished_run(store, policy)
    args = ["audit", "export", "--db", str(db_path), "--format", "csv", "--since", "2026-11-29"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert list(csv.DictReader(io.StringIO(result.output))) == []
    assert result.output.startswith("request_id,kind,")
