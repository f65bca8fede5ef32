"""Previews against simulated LPARs: the checklist an approver sees, with AIX's own verdict and
the evidence behind each item."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from liveupdate.checks import CheckStatus, PreviewOutcome, UpdateKind
from liveupdate.requests import RequestState
from lpar.inventory import Lpar
from lpar.remote import RemoteCommand
from lpar.ssh import CommandResult
from sim.aix.state import Efix
from tests.lpar.harness import QUICK, world

LKU_KEYS = [
    "oslevel",
    "hmc_token",
    "lvupdate_data",
    "free_disks",
    "efixes",
    "llu_mode",
    "genld",
    "preview",
]
UNINDENTED = (
    "general:\n        kext_check =\n\n"
    "disks:\nnhdisk = hdisk1\n        mhdisk = hdisk2\n\n"
    "hmc:\n        management_console = hmc01.sim.test\n        user = liveupdate\n"
)


async def test_a_healthy_lpar_passes_every_check_with_a_stable_fingerprint(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        engine = w.engine()
        [first] = await engine.preview(UpdateKind.LKU, "lpar001", items=["update_all"])
        [second] = await engine.preview(UpdateKind.LKU, "lpar001", items=["update_all"])

        assert [c.key for c in first.checks] == LKU_KEYS
        assert {c.status for c in first.checks} == {CheckStatus.PASS}
        assert first.outcome is PreviewOutcome.PASSED
        assert first.oslevel == "7300-02-02-2420"
        assert first.media == "/mnt/7300-03-01"  # the inventory's media
        assert first.lvupdate_data == w.fleet.lpar("lpar001").state.lvupdate_data
        assert "The live update preview succeeded." in first.raw_output
        checks = {c.key: c for c in first.checks}
        assert checks["free_disks"].summary == "hdisk1 (nhdisk), hdisk2 (mhdisk) free"
        assert checks["hmc_token"].summary == "hmc01.sim.test as liveupdate"
        assert checks["oslevel"].evidence == "$ oslevel -s\n7300-02-02-2420\n"
        assert first.fingerprint == second.fingerprint
        assert w.operations("lpar001") == []


async def test_no_hmc_token_fails_the_preview_with_aix_1430_246(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.fleet.lpar("lpar001").state.hmc_token = None
        engine = w.engine()
        request = await w.request(engine, "lpar001", approve=False)

        [preview] = request.previews
        checks = {c.key: c for c in preview.checks}
        assert checks["hmc_token"].status is CheckStatus.FAIL
        assert "Run `hmcauth -u liveupdate -a hmc01.sim.test`" in checks["hmc_token"].summary
        assert checks["preview"].summary == (
            "exit status 1: 1430-246 FAILED: No valid authentication with an HMC console."
        )
        assert preview.outcome is PreviewOutcome.FAILED
        assert request.state is RequestState.PREVIEW_FAILED


async def test_a_key_line_at_column_1_in_lvupdate_data_is_flagged_at_its_line(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        w.fleet.lpar("lpar001").state.lvupdate_data = UNINDENTED
        [preview] = await w.engine().preview(UpdateKind.LKU, "lpar001")

        checks = {c.key: c for c in preview.checks}
        data = checks["lvupdate_data"]
        assert data.status is CheckStatus.FAIL
        assert data.summary.startswith("error: line 4: `disks:` needs `nhdisk` with a value")
        assert data.summary.endswith("(and 1 more)")
        assert (
            "error: line 5: `nhdisk = hdisk1` starts at column 1, so AIX silently ignores it"
            in data.evidence
        )
        # AIX reads no nhdisk at all, so its own preview refuses the file too.
        assert checks["preview"].status is CheckStatus.FAIL
        assert "no value for 'nhdisk'" in checks["preview"].summary
        assert checks["free_disks"].status is CheckStatus.PASS  # mhdisk alone is free
        assert preview.lvupdate_data == UNINDENTED


async def test_a_disk_named_for_the_surrogate_that_is_not_free_fails(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        disk = w.fleet.lpar("lpar001").state.disk("hdisk1")
        assert disk is not None
        disk.volume_group, disk.active = "datavg", True
        [preview] = await w.engine().preview(UpdateKind.LKU, "lpar001")

        checks = {c.key: c for c in preview.checks}
        assert checks["free_disks"].status is CheckStatus.FAIL
        assert checks["free_disks"].summary.startswith("hdisk1 (nhdisk) belongs to datavg")
        assert "hdisk1" in checks["free_disks"].evidence
        assert "1430-903" in checks["preview"].summary


async def test_an_interim_fix_waiting_for_a_reboot_blocks_a_kernel_update(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.fleet.lpar("lpar001").state.efixes.append(Efix(label="IJ99999s1a", state="*Q*"))
        [preview] = await w.engine().preview(UpdateKind.LKU, "lpar001")

        efixes = {c.key: c for c in preview.checks}["efixes"]
        assert efixes.status is CheckStatus.FAIL
        assert efixes.summary.startswith("IJ99999s1a need(s) a reboot (state *Q*)")
        assert preview.blocked


async def test_the_inventory_pre_commands_run_in_order_and_each_is_an_item(
    tmp_path: Path,
) -> None:
    scenario = {
        "defaults": {
            "commands": [
                {"command": "/usr/local/bin/check_backup", "output": "mksysb of today: found"},
                {"command": "/usr/local/bin/check_app", "output": "app busy", "exit_code": 3},
            ]
        },
        "lpars": {
            "lpar001": {
                "placement": {
                    "stages": {"pre": ["/usr/local/bin/check_backup", "/usr/local/bin/check_app"]}
                }
            }
        },
    }
    async with world(tmp_path, scenario=scenario) as w:
        [preview] = await w.engine().preview(UpdateKind.LKU, "lpar001")

        pre = [c for c in preview.checks if c.key.startswith("pre.")]
        assert [(c.key, c.status, c.summary) for c in pre] == [
            ("pre.1", CheckStatus.PASS, "exit 0"),
            (
                "pre.2",
                CheckStatus.FAIL,
                "`/usr/local/bin/check_app` exited with status 3: app busy",
            ),
        ]
        assert preview.blocked
        assert preview.outcome is PreviewOutcome.PASSED  # AIX's own preview had no objection


async def test_an_unknown_host_key_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.fleet.known_hosts_path.write_text("")
        [preview] = await w.engine().preview(UpdateKind.LKU, "lpar001")

        [item] = preview.checks
        assert item.key == "connection"
        assert item.status is CheckStatus.FAIL
        assert "the host key is not in" in item.summary
        assert "ssh-keyscan -p" in item.summary
        assert preview.outcome is PreviewOutcome.FAILED
        assert w.fleet.lpar("lpar001").commands == []


async def test_a_group_preview_covers_every_lpar_in_inventory_order(tmp_path: Path) -> None:
    async with world(tmp_path, 4) as w:
        w.fleet.lpar("lpar004").state.hmc_token = None
        previews = await w.engine().preview(UpdateKind.LKU, "group:prod")

        assert [p.lpar for p in previews] == ["lpar002", "lpar004"]
        assert [p.outcome for p in previews] == [PreviewOutcome.PASSED, PreviewOutcome.FAILED]


async def test_the_reads_wait_until_the_lpar_has_accepted_aix_s_own_preview(
    tmp_path: Path,
) -> None:
    # In a group preview the LPARs' reads would otherwise queue on lkubot's event loop ahead
    # of the later LPARs' previews, the long part of every preview.
    async with world(tmp_path) as w:
        engine = w.engine()
        events: list[str] = []
        run = engine.ssh.run

        async def asked(lpar: Lpar, command: RemoteCommand, **options: Any) -> CommandResult:
            events.append(f"asked {command.line.split()[0]}")
            return await run(lpar, command, **options)

        engine.ssh.run = asked  # type: ignore[method-assign]
        with w.fleet.lpar("lpar001").watching_commands(
            lambda record: events.append(f"received {record.command.split()[0]}")
        ):
            [preview] = await engine.preview(UpdateKind.LKU, "lpar001")

        assert preview.outcome is PreviewOutcome.PASSED
        accepted = events.index("received geninstall")
        assert events[: accepted + 1] == ["asked geninstall", "received geninstall"]
        assert sorted(e for e in events[accepted:] if e.startswith("asked")) == [
            "asked cat",
            "asked emgr",
            "asked genld",
            "asked hmcauth",
            "asked lspv",
            "asked oslevel",
            "asked raso",
        ]


async def test_a_preview_is_bounded_in_time(tmp_path: Path) -> None:
    # At 100x, AIX's 40 s preview takes 0.4 s: more than the 0.2 s this preview may take.
    async with world(tmp_path, speed=100) as w:
        engine = w.engine(QUICK.model_copy(update={"preview_total": 0.2}))
        [preview] = await engine.preview(UpdateKind.LKU, "lpar001")

        verdict = {c.key: c for c in preview.checks}["preview"]
        assert verdict.status is CheckStatus.FAIL
        assert verdict.summary == (
            "`geninstall -k -p -d /mnt/7300-03-01 update_all` gave no answer within the "
            "preview's limit of 0.2 s."
        )
        assert preview.outcome is PreviewOutcome.FAILED


async def test_live_library_update_needs_llu_mode_on(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.fleet.lpar("lpar001").state.llu_mode = 0
        [preview] = await w.engine().preview(UpdateKind.LLU, "lpar001")

        assert [c.key for c in preview.checks] == [
            "oslevel",
            "efixes",
            "llu_mode",
            "genld",
            "preview",
        ]
        mode = {c.key: c for c in preview.checks}["llu_mode"]
        assert mode.status is CheckStatus.FAIL
        assert mode.summary.startswith("llu_mode = 0 (off): run `raso -po llu_mode=1`")
        assert preview.lvupdate_data == ""
        assert preview.filesets == ()


async def test_words_that_are_no_fileset_are_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        with pytest.raises(ValidationError, match="an install item must be a fileset"):
            await w.engine().preview(UpdateKind.LKU, "lpar001", items=["update_all;reboot"])
        assert w.fleet.lpar("lpar001").commands == []
