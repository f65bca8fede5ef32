"""Settings from the environment, parsed once at start-up and passed down.

lkubot's own switches carry the prefix `LKUBOT_`; Slack's credentials keep the names Slack's
own tooling uses (`SLACK_BOT_TOKEN`, `SLACK_APP_TOKEN`, `SLACK_SIGNING_SECRET`). Secrets are
`SecretStr`, so they never show in a repr or a log line.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
