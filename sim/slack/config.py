"""The emulated workspace's seed: who is in it, which channels exist, how fast Slack's clock runs.

`EmulatorConfig()` on its own is the workspace the tests and the demo use: a requester, two
approvers (also the `@aix-approvers` user group), an admin and an outsider, with the ids the
example inventory (`lpars.example.yml`) names.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

SlackId = str


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UserSpec(_Spec):
    """A person in the workspace."""

    id: SlackId = Field(pattern=r"^[UW][A-Z0-9]{2,}$")
    name: str = Field(pattern=r"^[a-z0-9._-]+$", description="the handle, as in @name")
    real_name: str
    is_admin: bool = False
    tz: str = "Europe/Amsterdam"


class UserGroupSpec(_Spec):
    """A user group (Slack calls them subteams, with `S...` ids)."""

    id: SlackId = Field(pattern=r"^S[A-Z0-9]{2,}$")
    handle: str = Field(pattern=r"^[a-z0-9._-]+$")
    name: str
    members: list[SlackId]


class ChannelSpec(_Spec):
    """A channel. `members=None` means every user of the workspace is in it."""

    id: SlackId = Field(pattern=r"^[CG][A-Z0-9]{2,}$")
    name: str = Field(pattern=r"^[a-z0-9._-]+$")
    is_private: bool = False
    members: list[SlackId] | None = None
    bot_is_member: bool = True


class RateLimit(_Spec):
    """A token bucket: `burst` calls at once, refilled at `per_minute` calls per Slack minute."""

    per_minute: float = Field(gt=0)
    burst: int = Field(ge=1)
    per_channel: bool = False


# Slack's published tiers (https://api.slack.com/apis/rate-limits): "N+ per minute", with
# bursts tolerated. chat.postMessage is special: about one message per second per channel.
TIER_1 = RateLimit(per_minute=1, burst=3)
TIER_2 = RateLimit(per_minute=20, burst=20)
TIER_3 = RateLimit(per_minute=50, burst=50)
TIER_4 = RateLimit(per_minute=100, burst=100)
POST_MESSAGE = RateLimit(per_minute=60, burst=5, per_channel=True)

DEFAULT_RATE_LIMITS: dict[str, RateLimit] = {
    "auth.test": TIER_4,
    "chat.postMessage": POST_MESSAGE,
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "chat.postEphemeral": TIER_4,
    "chat.getPermalink": TIER_4,
    "views.open": TIER_4,
    "views.update": TIER_4,
    "views.push": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4,
    "users.info": TIER_4,
    "usergroups.users.list": TIER_2,
    "conversations.info": TIER_3,
    "apps.connections.open": TIER_1,
}


def _seed_users() -> list[UserSpec]:
    return [
        UserSpec(id="U0CAROL01", name="carol", real_name="Carol Requester"),
        UserSpec(id="U0ALICE01", name="alice", real_name="Alice Approver"),
        UserSpec(id="U0BOB0001", name="bob", real_name="Bob Approver"),
        UserSpec(id="U0ADMIN01", name="dana", real_name="Dana Admin", is_admin=True),
        UserSpec(id="U0OSCAR01", name="oscar", real_name="Oscar Outsider"),
    ]


def _seed_usergroups() -> list[UserGroupSpec]:
    return [
        UserGroupSpec(
            id="S0AIXAPPR",
            handle="aix-approvers",
            name="AIX approvers",
            members=["U0ALICE01", "U0BOB0001"],
        )
    ]


def _seed_channels() -> list[ChannelSpec]:
    return [
        ChannelSpec(id="C0AIXTEAM", name="aix-team"),
        ChannelSpec(id="C0PRODOPS", name="prod-ops"),
        ChannelSpec(id="C0TESTOPS", name="test-ops"),
        ChannelSpec(id="C0RANDOM0", name="random", bot_is_member=False),
    ]


class EmulatorConfig(_Spec):
    """Everything the emulator starts from. The defaults are the seed workspace."""

    team_id: SlackId = "T0LKUBOT0"
    team_domain: str = "lkubot-emulator"
    team_name: str = "lkubot emulator"
    app_id: SlackId = "A0LKUBOT0"
    bot_id: SlackId = "B0LKUBOT0"
    bot_user_id: SlackId = "U0LKUBOT0"
    bot_name: str = "lkubot"
    # The deprecated verification token Slack still puts in every payload.
    verification_token: str = Field(default="emulator-verification-token")
    users: list[UserSpec] = Field(default_factory=_seed_users)
    usergroups: list[UserGroupSpec] = Field(default_factory=_seed_usergroups)
    channels: list[ChannelSpec] = Field(default_factory=_seed_channels)
    bot_scopes: list[str] | None = Field(
        default=None,
        description="scopes granted to the bot token; None grants every scope (no missing_scope)",
    )
    speed: float = Field(
        default=1.0,
        gt=0,
        description=(
            "how many times faster than real time Slack's rate-limit clock runs: windows, refill "
            "and injected 429 storms shrink by this factor; deadlines the bot must meet in real "
            "time (3 s ack, 3 s trigger_id) do not"
        ),
    )
    rate_limits: dict[str, RateLimit] = Field(
        default_factory=dict, description="per-method overrides of DEFAULT_RATE_LIMITS"
    )
    ack_timeout: float = Field(default=3.0, gt=0, description="seconds Slack waits for an ack")
    trigger_ttl: float = Field(default=3.0, gt=0, description="seconds a trigger_id stays valid")
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        user_ids = [u.id for u in self.users]
        _refuse_duplicates("user id", [*user_ids, self.bot_user_id])
        _refuse_duplicates("user name", [u.name for u in self.users])
        _refuse_duplicates("channel id", [c.id for c in self.channels])
        _refuse_duplicates("channel name", [c.name for c in self.channels])
        _refuse_duplicates("user group id", [g.id for g in self.usergroups])
        known = set(user_ids)
        for group in self.usergroups:
            for member in group.members:
                if member not in known:
                    raise ValueError(f"user group @{group.handle} lists {member}, not a user")
        for channel in self.channels:
            for member in channel.members or []:
                if member not in known:
                    raise ValueError(f"channel #{channel.name} lists {member}, not a user")
        return self

    def rate_limit(self, method: str) -> RateLimit | None:
        """The limit for a method: an override, else Slack's tier, else none."""
        return self.rate_limits.get(method, DEFAULT_RATE_LIMITS.get(method))


def _refuse_duplicates(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} appears twice")
        seen.add(value)


class Credentials(_Spec):
    """The secrets an installed app holds; the emulator checks them like Slack does."""

    signing_secret: str = Field(default="emulator-signing-secret", min_length=8)
    bot_token: str = Field(default="xoxb-emulator-bot-token", pattern=r"^xoxb-")
    app_token: str = Field(default="xapp-emulator-app-token", pattern=r"^xapp-")
