"""What one simulated LPAR is: its AIX state, live and mutable, as pydantic models.

Tests read and change it through `fleet.lpar(name).state` (assignments are validated). The
defaults come from the real captured outputs in `tests/fixtures/`, so an LPAR nobody configured
looks like the LPAR those outputs were taken from.
"""

from __future__ import annotations

import shlex
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sim.aix.faults import Faults

LVUPDATE_DATA_PATH = "/var/adm/ras/liveupdate/lvupdate.data"
CHECK_CONFIG_FILES_PATH = "/etc/check_config.files"
CONFIG_DIFF_PATH = "/var/adm/ras/config.diff"

OsLevel = Annotated[str, Field(pattern=r"^\d{4}-\d\d-\d\d-\d{4}$")]

# `lparstat -i` of the captured LPAR (tests/fixtures/lparstat-i-1.txt), in AIX's order.
SAMPLE_LPARSTAT: tuple[tuple[str, str], ...] = (
    ("Node Name", "nodeDemo1"),
    ("Partition Name", "nodeDemo1"),
    ("Partition Number", "13"),
    ("Type", "Shared-SMT-4"),
    ("Mode", "Uncapped"),
    ("Entitled Capacity", "0.30"),
    ("Partition Group-ID", "32781"),
    ("Shared Pool ID", "0"),
    ("Online Virtual CPUs", "2"),
    ("Maximum Virtual CPUs", "8"),
    ("Minimum Virtual CPUs", "1"),
    ("Online Memory", "12288 MB"),
    ("Maximum Memory", "36864 MB"),
    ("Minimum Memory", "4096 MB"),
    ("Variable Capacity Weight", "40"),
    ("Minimum Capacity", "0.10"),
    ("Maximum Capacity", "0.80"),
    ("Capacity Increment", "0.01"),
    ("Maximum Physical CPUs in system", "64"),
    ("Active Physical CPUs in system", "32"),
    ("Active CPUs in Pool", "32"),
    ("Shared Physical CPUs in system", "32"),
    ("Maximum Capacity of Pool", "3200"),
    ("Entitled Capacity of Pool", "2265"),
    ("Unallocated Capacity", "0.00"),
    ("Physical CPU Percentage", "15.00%"),
    ("Unallocated Weight", "0"),
    ("Memory Mode", "Dedicated-Expanded"),
    ("Total I/O Memory Entitlement", "-"),
    ("Variable Memory Capacity Weight", "-"),
    ("Memory Pool ID", "-"),
    ("Physical Memory in the Pool", "-"),
    ("Hypervisor Page Size", "-"),
    ("Unallocated Variable Memory Capacity Weight", "-"),
    ("Unallocated I/O Memory entitlement", "-"),
    ("Memory Group ID of LPAR", "-"),
    ("Desired Virtual CPUs", "2"),
    ("Desired Memory", "12288 MB"),
    ("Desired Variable Capacity Weight", "40"),
    ("Desired Capacity", "0.30"),
    ("Target Memory Expansion Factor", "1.70"),
    ("Target Memory Expansion Size", "20736 MB"),
    ("Power Saving Mode", "Disabled"),
    ("Sub Processor Mode", "-"),
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class HmcToken(_Model):
    """What `hmcauth -u USER -a HMC` left on the LPAR (lost when the LPAR reboots)."""

    address: str
    user: str
    port: int = 12443


class Efix(_Model):
    """One interim fix in `emgr -l`; state `*Q*` means a reboot is pending."""

    label: str = Field(max_length=10)
    state: str = Field(default="S", max_length=4)
    install_time: str = "02/01/25 08:46:29"
    abstract: str = Field(default="", max_length=37)


class Disk(_Model):
    """One line of `lspv`; `volume_group` None means the disk is free."""

    name: str
    pvid: str = Field(pattern=r"^[0-9a-f]{16}$")
    volume_group: str = "None"
    active: bool = False

    @property
    def free(self) -> bool:
        return self.volume_group == "None"


class LluProcess(_Model):
    """A process `llvupdate -P` lists: an LLU-capable library it loaded is newer on disk."""

    pid: int = Field(gt=0)
    name: str
    module: str = "/usr/lib/libc.a(_shr_64.o)"


class OldObjectProcess(_Model):
    """A process `genld -u` lists: it still runs an old image of a loaded object."""

    pid: int = Field(gt=0)
    name: str


def _parses_as_words(command: str) -> str:
    if not shlex.split(command):
        raise ValueError("a command must have at least one word")
    return command


class CannedCommand(_Model):
    """A command the scenario teaches this LPAR (custom stage commands and the like).
    It is matched word for word (after shell quoting is undone) before the built-in ones."""

    command: Annotated[str, AfterValidator(_parses_as_words)]
    output: str = ""
    exit_code: int = Field(default=0, ge=0, le=255)

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.command)


class UpdateOutcome(_Model):
    """What a successful Live Kernel Update leaves behind on this LPAR."""

    oslevel: OsLevel = "7300-03-01-2446"
    changed_files: list[str] = Field(default_factory=lambda: ["/etc/inittab"])
    old_object_processes: list[OldObjectProcess] = Field(
        default_factory=lambda: [
            OldObjectProcess(pid=5046728, name="topasrec"),
            OldObjectProcess(pid=4391388, name="sshd"),
        ]
    )
    llu_processes: list[LluProcess] = Field(
        default_factory=lambda: [
            LluProcess(pid=1, name="init", module="/usr/lib/libc.a(_shr.o)"),
            LluProcess(pid=4391388, name="sshd"),
            LluProcess(pid=4784408, name="syslogd"),
            LluProcess(pid=5177620, name="cron", module="/usr/lib/libc.a(_shr.o)"),
        ]
    )
    # Maxima the HMC profile was raised to (lparstat label -> value); they take effect only
    # when lvupdate.data says `clone_from_hmc_profile = yes`.
    raised_profile: dict[str, str] = Field(default_factory=dict)


class Stages(_Model):
    pre: list[str] = Field(default_factory=list)
    prep: list[str] = Field(default_factory=list)
    post: list[str] = Field(default_factory=list)


class Placement(_Model):
    """Where the LPAR sits, as written into the inventory."""

    group: Literal["prod", "test"]
    managed_system: str
    hmc: str
    media: str = "/mnt/7300-03-01"
    stages: Stages = Field(default_factory=Stages)


class LparState(_Model):
    name: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    placement: Placement
    oslevel: OsLevel = "7300-02-02-2420"
    lparstat: dict[str, str] = Field(default_factory=lambda: dict(SAMPLE_LPARSTAT))
    hmc_token: HmcToken | None = None
    lvupdate_data: str | None = None
    check_config_files: str = (
        "s /etc/inittab\nd /etc/filesystems\nd /etc/group\nd /etc/passwd\nd /etc/services\n"
    )
    config_diff: str | None = None
    files: dict[str, str] = Field(default_factory=dict)
    efixes: list[Efix] = Field(
        default_factory=lambda: [
            Efix(
                label="81112ma",
                install_time="02/01/25 08:46:29",
                abstract="ifix for openssh Jan CVEs",
            ),
            Efix(
                label="IJ50424s7a",
                install_time="02/01/25 13:09:14",
                abstract="IJ50424 for AIX 7.2 TL5 SP5 to SP7",
            ),
            Efix(
                label="IJ52366s7a",
                install_time="02/01/25 13:09:33",
                abstract="IJ52366 POTENTIAL SECURITY ISSUE",
            ),
        ]
    )
    disks: list[Disk] = Field(default_factory=list)
    llu_mode: int = Field(default=1, ge=0, le=2)
    llu_processes: list[LluProcess] = Field(default_factory=list)
    old_object_processes: list[OldObjectProcess] = Field(default_factory=list)
    subsystems: dict[str, bool] = Field(
        default_factory=lambda: {"pfcdaemon": True, "sshd": True, "IBM.DRMd": True}
    )
    ipsec_devices: dict[str, bool] = Field(
        default_factory=lambda: {"ipsec_v4": True, "ipsec_v6": True}
    )
    after_update: UpdateOutcome = Field(default_factory=UpdateOutcome)
    commands: list[CannedCommand] = Field(default_factory=list)
    faults: Faults = Field(default_factory=Faults)
    # A failed or cancelled operation leaves work for `clvupdate` / `cllvupdate -u`.
    lku_cleanup_pending: bool = False
    llu_cleanup_pending: bool = False

    def readable_files(self) -> dict[str, str]:
        """The files `cat` can show, by absolute path."""
        found = dict(self.files)
        found[CHECK_CONFIG_FILES_PATH] = self.check_config_files
        if self.lvupdate_data is not None:
            found[LVUPDATE_DATA_PATH] = self.lvupdate_data
        if self.config_diff is not None:
            found[CONFIG_DIFF_PATH] = self.config_diff
        return found

    def disk(self, name: str) -> Disk | None:
        return next((disk for disk in self.disks if disk.name == name), None)
