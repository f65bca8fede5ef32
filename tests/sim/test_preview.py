"""The preview decides from the LPAR's state, reading lvupdate.data the way AIX does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sim.client import PREVIEW, connect, fleet_of, run

GOOD_HMC = "hmc:\n        management_console = hmc01.sim.test\n        user = liveupdate\n"


@pytest.mark.parametrize(
    ("lvupdate_data", "first_line"),
    [
        pytest.param(
            # At column 0 AIX ignores the key, so there is no nhdisk at all.
            "disks:\nnhdisk = hdisk1\n        mhdisk = hdisk2\n" + GOOD_HMC,
            "1430-902 FAILED: /var/adm/ras/liveupdate/lvupdate.data is not valid: "
            "no value for 'nhdisk' in the 'disks' stanza.",
            id="key-at-column-0",
        ),
        pytest.param(
            "disks:\n        nhdisk = hdisk3\n        mhdisk = hdisk2\n" + GOOD_HMC,
            "1430-903 FAILED: The disk hdisk3 named by nhdisk cannot be used: belongs to datavg.",
            id="disk-in-use",
        ),
        pytest.param(
            "disks:\n        nhdisk = hdiskx\n        mhdisk = hdisk2\n" + GOOD_HMC,
            "1430-903 FAILED: The disk hdiskx named by nhdisk cannot be used: does not exist.",
            id="skeleton-disk",
        ),
        pytest.param(
            "disks:\n        nhdisk = hdisk1\n        mhdisk = hdisk2\n"
            "hmc:\n        management_console = hmc01.sim.test\n        user = hscroot\n",
            "1430-246 FAILED: No valid authentication with an HMC console.",
            id="user-differs-from-hmcauth",
        ),
        pytest.param(
            "general:\n        cpu_reduction = yes\n        clone_from_hmc_profile = yes\n"
            "disks:\n        nhdisk = hdisk1\n        mhdisk = hdisk2\n" + GOOD_HMC,
            "1430-904 FAILED: cpu_reduction and clone_from_hmc_profile cannot both be yes.",
            id="cpu-reduction-and-clone",
        ),
        pytest.param(
            "disk:\n        nhdisk = hdisk1\n",
            "1430-902 FAILED: /var/adm/ras/liveupdate/lvupdate.data is not valid: "
            "line 1: unknown stanza 'disk'.",
            id="unknown-stanza",
        ),
        pytest.param(
            None,
            "1430-901 FAILED: Cannot read /var/adm/ras/liveupdate/lvupdate.data.",
            id="no-file",
        ),
    ],
)
async def test_a_bad_lvupdate_data_fails_the_preview(
    tmp_path: Path, lvupdate_data: str | None, first_line: str
) -> None:
    scenario = {"lpars": {"lpar001": {"lvupdate_data": lvupdate_data}}}
    async with fleet_of(tmp_path, scenario=scenario) as fleet, await connect(fleet) as conn:
        result = await run(conn, PREVIEW)
    assert result.exit_status == 1
    assert result.stdout.splitlines()[0] == first_line


async def test_a_good_state_previews_with_the_real_success_line(tmp_path: Path) -> None:
    async with fleet_of(tmp_path) as fleet, await connect(fleet) as conn:
        result = await run(conn, PREVIEW)
    assert result.exit_status == 0
    assert result.stdout.splitlines()[-1].endswith(" The live update preview succeeded.")
