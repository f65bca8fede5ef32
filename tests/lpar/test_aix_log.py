"""AIX's own live update log as a second witness: what its latest operation shows."""

from __future__ import annotations

from datetime import datetime

from lpar.aix_log import AIX_LOG, account_of
from tests.liveupdate.samples import sample, success_lines


def test_a_completed_update_is_said_so_with_aixs_own_figure() -> None:
    assert account_of(sample("lku-success-1.log"), None) == (
        f"AIX's own log {AIX_LOG} says the live update completed in 10 min 58 s."
    )


def test_an_update_under_way_is_told_by_its_last_phase() -> None:
    lines = success_lines()[:12]
    assert account_of("\n".join(lines), None) == (
        f"AIX's own log {AIX_LOG} last says: Rootvg for the surrogate is ready "
        "(09:13:19 LPAR time)."
    )


def test_only_the_latest_operation_counts_and_only_if_it_started_since_this_run() -> None:
    earlier = "\n".join(success_lines())
    later = "\n".join(success_lines()[:12])
    assert "last says: Rootvg" in account_of(f"{earlier}\n{later}", None)
    since = datetime(2025, 1, 29, 10, 0)  # after the captured run started (09:09)
    assert account_of(earlier, since) == (
        f"AIX's own log {AIX_LOG} shows no live update started since this one did."
    )
