"""Settings from the environment, parsed once at start-up and passed down.

lkubot's own switches carry the prefix `LKUBOT_`; Slack's credentials keep the names Slack's
own tooling uses (`SLACK_BOT_TOKEN`, `SLACK_APP_TOKEN`, `SLACK_SIGNING_SECRET`). Secrets are
`SecretStr`, so they never show in a repr or a log line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from liveupdate.policy import SLACK_CHANNEL_ID_PATTERN

SLACK_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
    """Everything lkubot reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="LKUBOT_", extra="ignore")

    db: Path = Field(default=Path("lkubot.db"), description="SQLite file (LKUBOT_DB)")
    inventory: Path = Field(
        default=Path("lpars.yml"), description="inventory YAML file (LKUBOT_INVENTORY)"
    )
    slack_api_url: str | None = Field(
        default=None,
        description="Slack Web API base URL, e.g. an emulator's (LKUBOT_SLACK_API_URL)",
    )
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "LKUBOT_SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "LKUBOT_SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "LKUBOT_SLACK_SIGNING_SECRET"),
    )
    channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="channel ids lkubot answers in, comma-separated; empty: all (LKUBOT_CHANNELS)",
    )
    membership_ttl: float = Field(
        default=300.0,
        gt=0,
        le=86400,
        description="seconds a user group's member list is trusted (LKUBOT_MEMBERSHIP_TTL)",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="LKUBOT_LOG_LEVEL"
    )

    @field_validator("channels", mode="before")
    @classmethod
    def _split_channels(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("channels")
    @classmethod
    def _channel_ids(cls, channels: list[str]) -> list[str]:
        bad = [c for c in channels if not re.match(SLACK_CHANNEL_ID_PATTERN, c)]
        if bad:
            raise ValueError(
                f"{', '.join(bad)} is not a channel id: use ids like C0123ABCD "
                "(in Slack: channel details, at the bottom), separated by commas"
            )
        return channels

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not a URL: give the Web API base, like {SLACK_API_URL}")
        return url


class SettingsError(Exception):
    """lkubot cannot start with these settings; `lines` holds one sentence per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)


def load_settings() -> Settings:
    """Read the environment once, or raise `SettingsError` with one line per bad variable."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError([_line(e) for e in error.errors()]) from None


def check_slack(settings: Settings, *, http: bool) -> None:
    """What `lkubot run` needs besides valid values: the credentials of its mode."""
    problems: list[str] = []
    bot = settings.slack_bot_token
    if bot is None:
        problems.append(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from the "
            "app's OAuth & Permissions page."
        )
    elif not bot.get_secret_value().startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be a bot token, starting with xoxb-.")
    if http:
        if settings.slack_signing_secret is None:
            problems.append(
                "SLACK_SIGNING_SECRET is not set: --http needs it to verify that requests come "
                "from Slack (Basic Information > App Credentials)."
            )
    else:
        app = settings.slack_app_token
        if app is None:
            problems.append(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token with "
                "connections:write (xapp-...), or run with --http PORT."
            )
        elif not app.get_secret_value().startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN must be an app-level token, starting with xapp-.")
    if problems:
        raise SettingsError(problems)


_ENV_NAMES = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
}


def _line(error: object) -> str:
    details = error if isinstance(error, dict) else {}
    field = str(details.get("loc", ("?",))[0])
    name = _ENV_NAMES.get(field, f"LKUBOT_{field.upper()}")
    message = str(details.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"{name}: {message}."
