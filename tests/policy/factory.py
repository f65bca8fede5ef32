"""Requests and policies built from the real samples and the example inventory."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import yaml

from liveupdate.checks import CheckItem, CheckStatus, PreviewOutcome, PreviewResult, UpdateKind
from liveupdate.policy import EffectivePolicy, Freeze, GroupPolicy
from liveupdate.requests import Request, open_request

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"

# Saturday 28 November 2026, 23:00 in Amsterdam: inside prod's sat/sun 22:00-04:00 window.
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
# Tuesday 24 November 2026, 10:00 UTC: outside every prod window.
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

REQUESTER = "U0REQUEST1"
ALICE = "U0ALICE01"
BOB = "U0BOB0001"
CAROL = "U0CAROL01"
MALLORY = "U0MALLORY1"
ADMIN = "U0ADMIN01"
APPROVER_GROUP = "S0AIXAPPR"


@cache
def example_groups() -> dict[str, GroupPolicy]:
    data = yaml.safe_load((ROOT / "lpars.example.yml").read_text())
    return {name: GroupPolicy.model_validate(group) for name, group in data["groups"].items()}


@cache
def sample_oslevel() -> str:
    # `oslevel -s` as captured on a 7.3 LPAR, the line after the prompt.
    lines = (FIXTURES / "lvupdate-data-hmc-1.txt").read_text().splitlines()
    return lines[lines.index("$ oslevel -s") + 1]


@cache
def sample_lvupdate_data() -> str:
    """The lvupdate.data body from the captured `cat`, up to the next prompt."""
    lines = (FIXTURES / "lvupdate-data-hmc-1.txt").read_text().splitlines()
    start = lines.index("# cat /var/adm/ras/liveupdate/lvupdate.data") + 1
    end = lines.index("#", start)
    return "\n".join(lines[start:end]) + "\n"


def sample_failed_preview_output() -> str:
    return (FIXTURES / "lku-preview-fail-hmcauth-1430-246.txt").read_text()


def sample_passed_preview_output() -> str:
    return (FIXTURES / "lku-success-1.log").read_text().splitlines()[0]


def make_preview(
    lpar: str = "lpar01",
    *,
    at: datetime = SATURDAY_NIGHT,
    outcome: PreviewOutcome = PreviewOutcome.PASSED,
    lvupdate_data: str | None = None,
    oslevel: str | None = None,
    media: str | None = "/mnt/7300-03-01",
    filesets: tuple[str, ...] = ("update_all",),
) -> PreviewResult:
    passed = outcome is PreviewOutcome.PASSED
    return PreviewResult(
        kind=UpdateKind.LKU,
        lpar=lpar,
        previewed_at=at,
        oslevel=oslevel if oslevel is not None else sample_oslevel(),
        media=media,
        filesets=filesets,
        lvupdate_data=lvupdate_data if lvupdate_data is not None else sample_lvupdate_data(),
        outcome=outcome,
        checks=(
            CheckItem(
                key="hmc_token",
                title="HMC token",
                status=CheckStatus.PASS if passed else CheckStatus.FAIL,
                summary="hmc 192.168.199.50 as liveup" if passed else "no HMC token",
                evidence=(FIXTURES / "hmcauth-l-1.txt").read_text() if passed else "",
            ),
        ),
        raw_output=sample_passed_preview_output() if passed else sample_failed_preview_output(),
    )


class Directory:
    """A Slack user group directory for tests: who is in which S... group, and which lookups
    fail (as a Slack outage would)."""

    def __init__(
        self, members: Mapping[str, set[str]] | None = None, failing: set[str] | None = None
    ) -> None:
        self.members = dict(members or {})
        self.failing = set(failing or ())
        self.asked: list[tuple[str, str]] = []

    def __call__(self, user: str, usergroup: str, /) -> bool:
        self.asked.append((user, usergroup))
        if usergroup in self.failing:
            raise TimeoutError("usergroups.users.list timed out")
        return user in self.members.get(usergroup, set())


def prod_policy(
    *,
    directory: Directory | None = None,
    freeze: Freeze | None = None,
    group: GroupPolicy | None = None,
) -> EffectivePolicy:
    return EffectivePolicy(
        group=group or example_groups()["prod"],
        membership=directory or Directory({APPROVER_GROUP: {ALICE, BOB, CAROL, REQUESTER}}),
        admins=frozenset({ADMIN}),
        freeze=freeze or Freeze(),
    )


def new_request(
    policy: EffectivePolicy | None = None,
    *,
    now: datetime = SATURDAY_NIGHT,
    preview: PreviewResult | None = None,
    request_id: str = "LU-17",
) -> Request:
    preview = preview or make_preview(at=now)
    return open_request(
        request_id=request_id,
        kind=UpdateKind.LKU,
        target=preview.lpar,
        group="prod",
        requester=REQUESTER,
        previews=(preview,),
        policy=policy or prod_policy(),
        now=now,
    )
