"""The audit trail: every change leaves a row, rows cannot be changed, tampering is found."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from liveupdate.errors import AlreadyVoted
from liveupdate.requests import Approve, Reject
from storage.audit import GENESIS, AuditHead, append_audit, parse_anchor, row_hash
from storage.errors import BadAnchor
from storage.store import Store
from tests.policy.factory import ALICE, CAROL
from tests.storage.conftest import NOW, open_approved, open_pending


def test_each_change_appends_one_chained_row(store: Store, policy) -> None:
    request = open_approved(store, policy)
    rows = store.audit_trail(request.id)
    assert [r.action for r in rows] == ["request.opened", "request.approve", "request.approve"]
    assert rows[1].actor == ALICE
    assert rows[1].detail["event"]["comment"] == "tested on lpar09"
    assert rows[2].detail == {
        "from": "pending",
        "to": "approved",
        "version": 3,
        "event": {"user": "U0BOB0001", "comment": ""},
    }
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    report = store.verify_audit()
    assert report.intact
    assert report.rows == 3
    assert report.head == rows[-1].hash


def test_a_refused_action_leaves_no_row(store: Store, policy) -> None:
    request = open_pending(store, policy)
    store.apply(request.id, Approve(user=ALICE), policy, NOW)
    with pytest.raises(AlreadyVoted):
        store.apply(request.id, Approve(user=ALICE), policy, NOW)
    assert len(store.audit_trail(request.id)) == 2


@pytest.mark.parametrize(
    "statement", ["UPDATE audit SET actor = 'U0MALLORY1' WHERE id = 1", "DELETE FROM audit"]
)
def test_sqlite_refuses_to_change_or_delete_audit_rows(store: Store, policy, statement) -> None:
    open_pending(store, policy)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute(statement)
    assert store.verify_audit().rows == 1


def _tamper(db_path: Path, *statements: str) -> None:
    """What someone with the file and the sqlite3 shell could do."""
    conn = sqlite3.connect(db_path)
    conn.executescript(
        "DROP TRIGGER audit_is_append_only_update; DROP TRIGGER audit_is_append_only_delete;"
        + ";".join(statements)
    )
    conn.close()


def test_a_changed_row_is_found(store: Store, policy, db_path: Path) -> None:
    request = open_approved(store, policy)
    store.apply(request.id, Reject(user=CAROL, reason="DB team objects"), policy, NOW)
    _tamper(
        db_path,
        "UPDATE audit SET detail = replace(detail, 'tested on lpar09', 'fine') WHERE id = 2",
    )
    report = Store.open(db_path).verify_audit()
    assert not report.intact
    assert report.first_bad_id == 2
    assert "content does not match" in (report.problem or "")
    assert report.rows == 1


def test_a_row_rewritten_with_a_recomputed_hash_breaks_the_next_link(
    store: Store, policy, db_path: Path
) -> None:
    open_approved(store, policy)
    forged = next(store.db.query("SELECT * FROM audit WHERE id = 2"))
    forged["actor"] = "U0MALLORY1"
    forged_hash = row_hash(forged["prev_hash"], forged)
    _tamper(db_path, f"UPDATE audit SET actor = 'U0MALLORY1', hash = '{forged_hash}' WHERE id = 2")
    report = Store.open(db_path).verify_audit()
    assert report.first_bad_id == 3
    assert "link to the previous row does not match" in (report.problem or "")


def test_a_deleted_row_is_found(store: Store, policy, db_path: Path) -> None:
    open_approved(store, policy)
    _tamper(db_path, "DELETE FROM audit WHERE id = 2")
    report = Store.open(db_path).verify_audit()
    assert report.first_bad_id == 3
    assert report.problem == "row 2 is missing (the next row is 3)"


def test_audit_rows_are_only_written_inside_the_change_they_record(store: Store) -> None:
    with pytest.raises(RuntimeError, match="write transaction"):
        append_audit(store.db, at=NOW, actor="lkubot", action="x", detail={})


def test_verify_from_the_command_line(store: Store, policy, db_path: Path) -> None:
    open_approved(store, policy)
    runner = CliRunner()
    intact = runner.invoke(main, ["audit", "verify", "--db", str(db_path)])
    assert intact.exit_code == 0, intact.output
    assert intact.output.startswith("Audit chain intact: 3 rows, head ")
    _tamper(db_path, "UPDATE audit SET actor = 'U0MALLORY1' WHERE id = 3")
    broken = runner.invoke(main, ["audit", "verify", "--db", str(db_path)])
    assert broken.exit_code == 1
    assert "Audit chain broken at row 3" in broken.output


def test_verify_reads_the_database_named_by_lkubot_db(
    store: Store, policy, db_path: Path, monkeypatch
) -> None:
    open_pending(store, policy)
    # The CLI is the process boundary: there the environment is the configuration.
    monkeypatch.setenv("LKUBOT_DB", str(db_path))
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 0
    assert "1 rows" in result.output


# --- anchors: the head hash kept outside the database ----------------------------------------


def _rewrite_chain(db_path: Path, row_id: int, actor: str) -> None:
    """What someone with the file and a little Python could do: change a row and recompute
    every hash from it on, so the chain alone looks intact."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM audit ORDER BY id")]
    prev_hash = rows[row_id - 2]["hash"] if row_id > 1 else GENESIS
    conn.executescript(
        "DROP TRIGGER audit_is_append_only_update; DROP TRIGGER audit_is_append_only_delete;"
    )
    for row in rows[row_id - 1 :]:
        if row["id"] == row_id:
            row["actor"] = actor
        row["prev_hash"] = prev_hash
        row["hash"] = prev_hash = row_hash(prev_hash, row)
        conn.execute(
            "UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?",
            [row["actor"], row["prev_hash"], row["hash"], row["id"]],
        )
    conn.commit()
    conn.close()


def _anchored(store: Store, policy) -> AuditHead:
    """An approved request, and the head a notice would have anchored right after it."""
    open_approved(store, policy)
    head = store.audit_head()
    assert head is not None
    return head


def test_the_head_is_the_newest_row_and_its_anchor_is_16_hex_digits(store: Store, policy) -> None:
    assert store.audit_head() is None
    request = open_approved(store, policy)
    head = store.audit_head()
    assert head is not None
    assert (head.id, head.hash) == (3, store.audit_trail(request.id)[-1].hash)
    assert head.anchor == head.hash[:16]


def test_an_anchored_head_is_found_while_the_chain_grows(store: Store, policy) -> None:
    head = _anchored(store, policy)
    open_approved(store, policy, "lpar02")
    report = store.verify_audit(anchor=head.anchor.upper())
    assert report.intact
    assert report.anchored
    assert (report.anchor_row, report.rows) == (3, 6)


def test_rows_cut_off_after_the_anchor_are_caught(store: Store, policy, db_path: Path) -> None:
    head = _anchored(store, policy)
    open_approved(store, policy, "lpar02")
    _tamper(db_path, "DELETE FROM audit WHERE id >= 3")
    report = Store.open(db_path).verify_audit(anchor=head.anchor)
    # The two rows left link up: only the anchor shows that the chain was cut.
    assert report.intact
    assert report.rows == 2
    assert not report.anchored
    assert report.anchor_row is None


def test_a_chain_rewritten_with_recomputed_hashes_is_caught_by_its_anchor(
    store: Store, policy, db_path: Path
) -> None:
    head = _anchored(store, policy)
    _rewrite_chain(db_path, row_id=2, actor="U0MALLORY1")
    rewritten = Store.open(db_path)
    assert rewritten.verify_audit().intact, "a full rewrite cannot be seen from the chain alone"
    assert not rewritten.verify_audit(anchor=head.anchor).anchored


def test_a_broken_chain_is_reported_broken_whatever_the_anchor(
    store: Store, policy, db_path: Path
) -> None:
    head = _anchored(store, policy)
    _tamper(db_path, "UPDATE audit SET actor = 'U0MALLORY1' WHERE id = 2")
    report = Store.open(db_path).verify_audit(anchor=head.anchor)
    assert report.first_bad_id == 2
    assert not report.intact
    assert not report.anchored


@pytest.mark.parametrize("text", ["91f4b02f", "91f4b02f4d5d3a4", "91f4b02f4d5d3a4g", "", "0" * 65])
def test_an_anchor_needs_16_to_64_hex_digits(text: str) -> None:
    with pytest.raises(BadAnchor, match="16 to 64 hex digits"):
        parse_anchor(text)


def test_verify_head_from_the_command_line(store: Store, policy, db_path: Path) -> None:
    head = _anchored(store, policy)
    runner = CliRunner()
    args = ["audit", "verify", "--db", str(db_path), "--head", head.anchor]
    kept = runner.invoke(main, args)
    assert kept.exit_code == 0, kept.output
    assert kept.output == (
        f"Audit chain intact: 3 rows, head {head.hash}.\n"
        f"The anchored head {head.anchor} is row 3: nothing recorded up to it was changed "
        "or removed.\n"
    )
    _rewrite_chain(db_path, row_id=3, actor="U0MALLORY1")
    rewritten = runner.invoke(main, args)
    assert rewritten.exit_code == 1
    assert rewritten.output.startswith(
        f"The anchored head {head.anchor} is not in the audit chain (3 rows): rows were "
        "removed after it, or the chain was rewritten since it was anchored."
    )
    short = runner.invoke(main, ["audit", "verify", "--db", str(db_path), "--head", "91f4"])
    assert short.exit_code == 2
    assert "16 to 64 hex digits" in short.output
