"""`lspv`: disks, PVIDs, volume groups; `None` means free."""

from __future__ import annotations

from liveupdate.lspv import parse_lspv


def test_free_and_used_disks_and_disks_without_pvid() -> None:
    volumes = parse_lspv(
        "# lspv\n"
        "hdisk0          00f6db0a6c7aece3                    rootvg          active\n"
        "hdisk1          00f6db0a2f6e1c77                    None\n"
        "hdisk4          none                                None\n"
        "hdisk7          00f6db0a2f6e1c99                    sharedvg        concurrent\n"
        "garbage\n"
    )

    assert [(d.name, d.pvid, d.volume_group, d.free) for d in volumes.disks] == [
        ("hdisk0", "00f6db0a6c7aece3", "rootvg", False),
        ("hdisk1", "00f6db0a2f6e1c77", None, True),
        ("hdisk4", None, None, True),
        ("hdisk7", "00f6db0a2f6e1c99", "sharedvg", False),
    ]
    assert volumes.disk("hdisk0") is not None
    assert volumes.disk("hdisk0").status == "active"  # type: ignore[union-attr]
    assert volumes.disk("hdisk9") is None
    assert [line.text for line in volumes.unknown_lines] == ["garbage"]
