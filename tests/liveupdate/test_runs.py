"""A run's record: the name of its log on the LPAR."""

from __future__ import annotations

import pytest

from liveupdate.runs import remote_log_path

LOG = "/var/adm/ras/liveupdate/logs/lkubot-LU-17-1.log"


def test_the_operation_log_is_named_by_request_and_run() -> None:
    assert remote_log_path("/var/adm/ras/liveupdate/logs", "LU-17", 1) == LOG
    assert remote_log_path("/var/adm/ras/liveupdate/logs/", "LU-17", 1) == LOG
    assert remote_log_path("/", "LU-3", 12) == "/lkubot-LU-3-12.log"


@pytest.mark.parametrize("request_id", ["LU 17", "../x", "LU-17;x", "", "LU-017"])
def test_a_request_id_that_could_reshape_the_path_is_refused(request_id: str) -> None:
    with pytest.raises(ValueError, match="do not name a run: a request id like LU-17"):
        remote_log_path("/tmp", request_id, 1)


@pytest.mark.parametrize("number", [0, -1, 10_000])
def test_a_run_number_out_of_range_is_refused(number: int) -> None:
    with pytest.raises(ValueError, match="run number from 1 to 9999"):
        remote_log_path("/tmp", "LU-17", number)


@pytest.mark.parametrize("log_dir", ["tmp", "/tmp/../etc", "/var/log dir", "/tmp;rm", "//tmp"])
def test_a_log_directory_that_is_no_plain_absolute_path_is_refused(log_dir: str) -> None:
    with pytest.raises(ValueError, match="cannot hold a run's log: a path on the LPAR must be"):
        remote_log_path(log_dir, "LU-17", 1)
