"""The approval policy of one inventory group: who approves, how many, for how long, and when
launches may happen.

`GroupPolicy` is the configuration model the inventory embeds for each group; it is validated
once at start-up and passed down. `EffectivePolicy` adds what only decision time knows (the
global admins, who is in which Slack user group, whether lkubot is frozen), and the functions
at the end decide who may do what. The request state machine (`liveupdate.requests`) uses them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Annotated, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)

from liveupdate.errors import MembershipUnavailable

# Slack ids are upper-case letters and digits after a one-letter kind; the length bounds are
# generous (real ids are 9 to 11 characters) but rule out names, mentions and stray spaces.
SLACK_USER_ID_PATTERN = r"^[UW][A-Z0-9]{6,20}$"
SLACK_USERGROUP_ID_PATTERN = r"^S[A-Z0-9]{6,20}$"
SLACK_PRINCIPAL_PATTERN = r"^[UWS][A-Z0-9]{6,20}$"
SLACK_CHANNEL_ID_PATTERN = r"^[CG][A-Z0-9]{6,20}$"

SlackUserId = Annotated[str, StringConstraints(pattern=SLACK_USER_ID_PATTERN)]
SlackPrincipal = Annotated[str, StringConstraints(pattern=SLACK_PRINCIPAL_PATTERN)]
"""A Slack user id (U..., W...) or user group id (S...)."""
SlackChannelId = Annotated[str, StringConstraints(pattern=SLACK_CHANNEL_ID_PATTERN)]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_DURATION = re.compile(r"^([1-9][0-9]{0,5})([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def is_usergroup(principal: str) -> bool:
    """True for a Slack user group id (S...), False for a user id."""
    return principal.startswith("S")


def parse_duration(value: object) -> timedelta:
    """Read "90s", "30m", "4h" or "2d" (a timedelta passes through) as a positive timedelta."""
    if isinstance(value, timedelta):
        if value <= timedelta(0):
            raise ValueError("a duration must be longer than zero")
        return value
    if isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match:
            return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])
    raise ValueError(
        f"{value!r} is not a duration: write a whole number and a unit, "
        'one of s, m, h, d (e.g. "4h", "30m", "2d")'
    )


def format_duration(value: timedelta) -> str:
    """The shortest exact form of a duration in the units `parse_duration` reads ("4h")."""
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def _parse_clock(value: object) -> time:
    if isinstance(value, time):
        return value
    # YAML reads an unquoted 22:00 as the base-60 integer 1320: say so rather than guess.
    if isinstance(value, str) and (match := _CLOCK.match(value.strip())):
        return time(int(match[1]), int(match[2]))
    raise ValueError(f'{value!r} is not a time of day: write it as "HH:MM" in quotes, e.g. "22:00"')


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not an IANA time zone name: use one like Europe/Amsterdam or UTC"
        ) from None
    return name


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]
ClockTime = Annotated[
    time,
    BeforeValidator(_parse_clock),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
]
TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]


class ChangeWindow(BaseModel):
    """A weekly window in which launches are allowed.

    `days` are the days the window *opens* on. When `end` is before `start` the window runs
    past midnight into the next day (sat 22:00 to 04:00 covers Sunday 00:00 to 04:00).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[Weekday] = Field(min_length=1)
    start: ClockTime
    end: ClockTime
    timezone: TimeZoneName

    @field_validator("days")
    @classmethod
    def _days_once(cls, days: list[Weekday]) -> list[Weekday]:
        if len(set(days)) != len(days):
            raise ValueError("each day may appear only once")
        return days

    @model_validator(mode="after")
    def _not_empty(self) -> ChangeWindow:
        if self.start == self.end:
            raise ValueError(
                "start and end are equal, so the window is either empty or a whole day: "
                "for launches at any time, leave change_windows empty"
            )
        return self

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    def contains(self, now: datetime) -> bool:
        """Is `now` (an aware datetime) inside this window, in the window's own time zone?"""
        local = _aware(now).astimezone(ZoneInfo(self.timezone))
        day = WEEKDAYS[local.weekday()]
        clock = local.time().replace(tzinfo=None)
        if not self.crosses_midnight:
            return day in self.days and self.start <= clock < self.end
        yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
        return (day in self.days and clock >= self.start) or (
            yesterday in self.days and clock < self.end
        )

    def describe(self) -> str:
        """One line for a Slack card: "sat, sun 22:00-04:00 (+1 day) Europe/Amsterdam"."""
        suffix = " (+1 day)" if self.crosses_midnight else ""
        return f"{', '.join(self.days)} {self.start:%H:%M}-{self.end:%H:%M}{suffix} {self.timezone}"


class GroupPolicy(BaseModel):
    """The approval policy and notification channel of one inventory group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: SlackChannelId
    """Where the one-line notices go (requested, approved, launched, blackout, finished...)."""
    approvals_required: int = Field(ge=1, le=20)
    """Distinct people who must approve; the requester never counts."""
    approvers: list[SlackPrincipal] = Field(min_length=1)
    admins: list[SlackPrincipal] = Field(default_factory=list)
    """Group admins, in addition to the inventory's global admins."""
    approval_ttl: Duration
    change_windows: list[ChangeWindow] = Field(default_factory=list)
    """Empty: launches are allowed at any time (a freeze still applies)."""

    @field_validator("approvers", "admins")
    @classmethod
    def _listed_once(cls, principals: list[str]) -> list[str]:
        if len(set(principals)) != len(principals):
            raise ValueError("each id may appear only once")
        return principals

    @model_validator(mode="after")
    def _quorum_reachable(self) -> GroupPolicy:
        # With user groups the membership is only known at vote time; with users only, a
        # quorum larger than the list can never be met, which is a typo worth refusing now.
        if not any(is_usergroup(p) for p in self.approvers) and self.approvals_required > len(
            self.approvers
        ):
            raise ValueError(
                f"approvals_required is {self.approvals_required} but only "
                f"{len(self.approvers)} approver(s) are listed: list more approvers, "
                "add a user group (S...), or lower approvals_required"
            )
        return self

    def window_open(self, now: datetime) -> bool:
        """True when no windows are configured or `now` falls in one of them."""
        return not self.change_windows or any(w.contains(now) for w in self.change_windows)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("lkubot compares times with time zones: pass an aware datetime")
    return now


class Freeze(BaseModel):
    """The global freeze: while active, no launch anywhere unless an admin overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    active: bool = False
    reason: str | None = None
    by: SlackUserId | None = None
    since: AwareDatetime | None = None


class MembershipLookup(Protocol):
    """Is `user` (U...) in the Slack user group `usergroup` (S...)?

    The Slack layer answers from its cache of `usergroups.users.list`. Raising means "could not
    tell"; lkubot then denies, it never guesses in someone's favour.
    """

    def __call__(self, user: str, usergroup: str, /) -> bool: ...


@dataclass(frozen=True)
class EffectivePolicy:
    """Everything a decision about one request needs besides the request and the clock."""

    group: GroupPolicy
    membership: MembershipLookup
    admins: frozenset[str] = field(default_factory=frozenset)
    """The inventory's global admins (user and user group ids)."""
    freeze: Freeze = field(default_factory=Freeze)


def mention(principal: str) -> str:
    """How Slack writes a user or user group inside a message."""
    return f"<!subteam^{principal}>" if is_usergroup(principal) else f"<@{principal}>"


def is_among(user: str, principals: Iterable[str], membership: MembershipLookup) -> bool:
    """Is `user` one of `principals`, directly or through a user group?

    A listed user id answers at once. Otherwise each user group is asked; if none says yes and
    any lookup failed, the answer is unknown and `MembershipUnavailable` is raised, so a Slack
    outage denies rather than allows.
    """
    listed = list(principals)
    if user in listed:
        return True
    failed: list[str] = []
    for usergroup in (p for p in listed if is_usergroup(p)):
        try:
            if membership(user, usergroup):
                return True
        # Any failure of the lookup (Slack error, timeout, a bug in the cache) must deny.
        except Exception:
            failed.append(usergroup)
    if failed:
        raise MembershipUnavailable(
            f"lkubot could not check whether you are in {', '.join(map(mention, failed))} "
            "just now, so it did not accept this: try again in a minute."
        )
    return False


def is_approver(user: str, policy: EffectivePolicy) -> bool:
    return is_among(user, policy.group.approvers, policy.membership)


def is_admin(user: str, policy: EffectivePolicy) -> bool:
    """Group admins and the inventory's global admins."""
    return is_among(user, (*policy.group.admins, *sorted(policy.admins)), policy.membership)


def next_window_opening(group: GroupPolicy, now: datetime) -> datetime | None:
    """When the next change window opens after `now` (None when the group has no windows)."""
    now = _aware(now)
    openings: list[datetime] = []
    for window in group.change_windows:
        zone = ZoneInfo(window.timezone)
        today = now.astimezone(zone).date()
        # A window opens at most once a day, so the next 8 days always hold the next opening.
        for offset in range(8):
            day = today + timedelta(days=offset)
            if WEEKDAYS[day.weekday()] in window.days:
                opening = datetime.combine(day, window.start, tzinfo=zone)
                if opening > now:
                    openings.append(opening)
                    break
    return min(openings, default=None)
