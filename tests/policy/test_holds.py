"""Before each later wave of a rollout, the freeze and the change windows are checked again;
an override given at launch covers what it overrode, and only that."""

from __future__ import annotations

from datetime import timedelta

from liveupdate.holds import held_sentence, wave_blockers
from liveupdate.policy import Freeze
from liveupdate.requests import Override
from tests.policy.factory import (
    ADMIN,
    SATURDAY_NIGHT,
    TUESDAY_MORNING,
    example_groups,
    new_request,
)

PROD = example_groups()["prod"]
NO_FREEZE = Freeze()
FROZEN = Freeze(active=True, reason="incident INC42", by=ADMIN, since=SATURDAY_NIGHT)


def test_inside_the_window_without_a_freeze_the_next_wave_starts() -> None:
    assert wave_blockers(new_request(), PROD, NO_FREEZE, SATURDAY_NIGHT) == ()


def test_a_freeze_switched_on_during_the_rollout_holds_the_next_wave() -> None:
    assert wave_blockers(new_request(), PROD, FROZEN, SATURDAY_NIGHT) == ("freeze",)


def test_a_window_that_closed_during_the_rollout_holds_the_next_wave() -> None:
    blockers = wave_blockers(new_request(), PROD, FROZEN, TUESDAY_MORNING)
    assert blockers == ("freeze", "change_window")
    said = held_sentence(new_request(), blockers, PROD, FROZEN, TUESDAY_MORNING)
    assert said == (
        "The rollout of LU-17 waits before its next wave: lkubot is frozen (incident INC42) and "
        "group prod's change windows are closed (sat, sun 22:00-04:00 (+1 day) "
        "Europe/Amsterdam). It goes on by itself once the freeze is lifted and the next window "
        "opens (2026-11-28 22:00 CET), or stops if someone cancels it with /lku cancel LU-17."
    )


def test_a_window_override_at_launch_covers_the_later_waves() -> None:
    request = new_request().model_copy(
        update={
            "override": Override(
                by=ADMIN,
                reason="P1 incident INC123",
                at=TUESDAY_MORNING,
                overrode=("change_window",),
            )
        }
    )
    assert wave_blockers(request, PROD, NO_FREEZE, TUESDAY_MORNING + timedelta(hours=2)) == ()


def test_a_freeze_override_covers_that_freeze_but_not_one_switched_on_after_it() -> None:
    launched = SATURDAY_NIGHT + timedelta(minutes=10)
    request = new_request().model_copy(
        update={
            "override": Override(
                by=ADMIN, reason="P1 incident INC123", at=launched, overrode=("freeze",)
            )
        }
    )
    assert wave_blockers(request, PROD, FROZEN, launched + timedelta(minutes=30)) == ()
    again = FROZEN.model_copy(update={"since": launched + timedelta(minutes=20)})
    assert wave_blockers(request, PROD, again, launched + timedelta(minutes=30)) == ("freeze",)
