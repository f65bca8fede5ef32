"""`lspv`: the physical volumes, one line each: name, PVID, volume group, and `active` (or
`concurrent`) when the volume group is varied on.

    hdisk0          00f6db0a6c7aece3                    rootvg          active
    hdisk1          00f6db0a2f6e1c77                    None

A disk whose volume group is `None` is free: live update needs free disks for the surrogate's
rootvg (`nhdisk`) and the mirror (`mhdisk`).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from liveupdate.text import KeptLine, output_lines

_LINE = re.compile(r"^\s*(\S+)\s+([0-9a-fA-F]{16}|none)\s+(\S+)(?:\s+(\S+))?\s*$")


class PhysicalVolume(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    pvid: str | None
    """None when the disk has no PVID (`none`)."""
    volume_group: str | None
    """None when the disk is in no volume group (`None`)."""
    status: str | None = None

    @property
    def free(self) -> bool:
        return self.volume_group is None


class PhysicalVolumes(BaseModel):
    model_config = ConfigDict(frozen=True)

    disks: tuple[PhysicalVolume, ...]
    unknown_lines: tuple[KeptLine, ...] = ()

    def disk(self, name: str) -> PhysicalVolume | None:
        return next((disk for disk in self.disks if disk.name == name), None)


def parse_lspv(text: str) -> PhysicalVolumes:
    """Each disk `lspv` lists, in order."""
    disks: list[PhysicalVolume] = []
    unknown: list[KeptLine] = []
    for number, line in output_lines(text, {"lspv"}):
        match = _LINE.match(line)
        if match is None:
            if line.strip():
                unknown.append(KeptLine(line=number, text=line))
            continue
        name, pvid, group, status = match.groups()
        disks.append(
            PhysicalVolume(
                name=name,
                pvid=None if pvid == "none" else pvid,
                volume_group=None if group == "None" else group,
                status=status,
            )
        )
    return PhysicalVolumes(disks=tuple(disks), unknown_lines=tuple(unknown))
