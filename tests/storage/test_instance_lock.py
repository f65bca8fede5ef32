"""One running lkubot per database: a second one is refused, naming the first."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storage.errors import DatabaseInUse
from storage.instance_lock import InstanceLock


def test_a_second_holder_is_refused_naming_the_first_and_may_take_it_once_released(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lkubot.db"
    with InstanceLock(db) as first:
        assert first.path == tmp_path / "lkubot.db.lock"
        with pytest.raises(DatabaseInUse) as refused, InstanceLock(db):
            pass
        assert str(refused.value) == (
            f"Another lkubot (process {os.getpid()}) is running on {db}: two would follow, "
            "and could start, the same runs. Stop it first, or point LKUBOT_DB at another file."
        )
    with InstanceLock(db):
        assert stat.S_IMODE(os.stat(tmp_path / "lkubot.db.lock").st_mode) == 0o600


def test_databases_side_by_side_do_not_block_each_other(tmp_path: Path) -> None:
    with InstanceLock(tmp_path / "a.db"), InstanceLock(tmp_path / "b.db"):
        pass
