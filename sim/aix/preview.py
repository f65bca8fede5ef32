"""The live update preview: what `geninstall -k -p` decides from the LPAR's state.

Real wording is kept where it was captured (1430-246, the success line). The body of a real
preview report was never published, so the check lines and the 1430-90x messages below are
the simulator's own, and say so in the code: SIMULATED WORDING.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.aix.stanzas import StanzaError, disk_names, parse_stanzas
from sim.aix.state import LVUPDATE_DATA_PATH, LparState

PREVIEW_SUCCEEDED = "The live update preview succeeded."
# Real text, captured from AIX (tests/fixtures/lku-preview-fail-hmcauth-1430-246.txt).
HMC_AUTH_FAILED = (
    "1430-246 FAILED: No valid authentication with an HMC console.",
    "Use the 'hmcauth -l' command to check the HMC authentication.",
    "If needed, run 'hmcauth' command to authenticate with HMC.",
    "Check that the attributes of 'hmc' stanza in the lvupdate.data match the hmcauth values.",
)
# How long a preview takes, in virtual seconds (invented: no real duration was captured).
PREVIEW_SECONDS = 40.0


@dataclass
class PreviewVerdict:
    lines: list[str]
    exit_code: int = 0
    settings: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def _failed(*lines: str) -> PreviewVerdict:
    return PreviewVerdict(list(lines), exit_code=1)


def _is_yes(value: str | None) -> bool:
    return (value or "").lower() == "yes"


def check_preview(state: LparState, media: str, install: list[str]) -> PreviewVerdict:
    """Decide the preview. `install` is the fileset list (`update_all`, `all`, names)."""
    fault = state.faults.preview
    if fault is not None:
        return PreviewVerdict(list(fault.lines), fault.exit_code)
    if state.lku_cleanup_pending:
        # SIMULATED WORDING
        return _failed(
            "1430-905 FAILED: A previous live update operation did not complete.",
            "Run 'clvupdate' to clean up before starting a new live update operation.",
        )
    if state.lvupdate_data is None:
        return _failed(f"1430-901 FAILED: Cannot read {LVUPDATE_DATA_PATH}.")  # SIMULATED WORDING
    try:
        stanzas = parse_stanzas(state.lvupdate_data)
    except StanzaError as error:
        # SIMULATED WORDING
        return _failed(f"1430-902 FAILED: {LVUPDATE_DATA_PATH} is not valid: {error}.")
    general, disks, hmc = (stanzas.get(name, {}) for name in ("general", "disks", "hmc"))
    for stanza, key in (
        ("disks", "nhdisk"),
        ("disks", "mhdisk"),
        ("hmc", "management_console"),
        ("hmc", "user"),
    ):
        if not stanzas.get(stanza, {}).get(key):
            # SIMULATED WORDING
            return _failed(
                f"1430-902 FAILED: {LVUPDATE_DATA_PATH} is not valid: "
                f"no value for {key!r} in the {stanza!r} stanza."
            )
    for key in ("kext_check", "cpu_reduction", "clone_from_hmc_profile"):
        value = general.get(key, hmc.get(key, ""))
        if value.lower() not in ("", "yes", "no"):
            # SIMULATED WORDING
            return _failed(
                f"1430-902 FAILED: {LVUPDATE_DATA_PATH} is not valid: "
                f"{key} must be yes or no, not {value!r}."
            )
    if _is_yes(general.get("cpu_reduction")) and clones_from_profile(stanzas):
        # SIMULATED WORDING (the exclusion is from the seed write-up; IBM's text is unknown)
        return _failed(
            "1430-904 FAILED: cpu_reduction and clone_from_hmc_profile cannot both be yes."
        )
    for key in ("nhdisk", "mhdisk"):
        for name in disk_names(disks[key]):
            disk = state.disk(name)
            if disk is None or not disk.free:
                # SIMULATED WORDING
                why = "does not exist" if disk is None else f"belongs to {disk.volume_group}"
                return _failed(
                    f"1430-903 FAILED: The disk {name} named by {key} cannot be used: {why}.",
                    "The disks for the surrogate and the mirror must be free (volume group None).",
                )
    current_id = state.lparstat.get("Partition Number", "")
    if hmc.get("lpar_id") and hmc["lpar_id"] == current_id:
        # SIMULATED WORDING
        return _failed(
            f"1430-902 FAILED: {LVUPDATE_DATA_PATH} is not valid: lpar_id {current_id} "
            "is the current partition id; the surrogate needs another one."
        )
    token = state.hmc_token
    if token is None or token.user != hmc["user"]:
        return _failed(*HMC_AUTH_FAILED)
    # SIMULATED WORDING: the check lines of a real preview report were never published.
    return PreviewVerdict(
        [
            f"Checking {LVUPDATE_DATA_PATH}: ok.",
            f"Checking the HMC authentication with {token.address} as {token.user}: ok.",
            f"Checking the surrogate disks {disks['nhdisk']} and mirror disks "
            f"{disks['mhdisk']}: ok.",
            f"Checking the installation list {' '.join(install)} on {media}: ok.",
        ],
        settings=stanzas,
    )


def clones_from_profile(stanzas: dict[str, dict[str, str]]) -> bool:
    # The seed write-up puts the key under `hmc:`, the AIX notes under `general:`; accept both.
    return any(
        _is_yes(stanzas.get(name, {}).get("clone_from_hmc_profile")) for name in ("general", "hmc")
    )
