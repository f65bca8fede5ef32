"""What the browser page is told beyond the workspace: the slash commands it may send and the
words its composer completes.

The emulator knows nothing of lkubot, so the page learns lkubot's commands from here: the
defaults are the verbs of DESIGN.md's command table, and the demo passes its LPAR names as
`words`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


def _lkubot_commands() -> dict[str, list[str]]:
    return {
        "/lku": [
            "preview",
            "approve",
            "reject",
            "launch",
            "cancel",
            "status",
            "list",
            "history",
            "lock",
            "unlock",
            "freeze",
            "help",
        ],
        "/llu": ["preview", "launch", "cancel", "status", "help"],
    }


class Completions(BaseModel):
    """The composer's completion: the verbs of each command, then any of `words`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    commands: dict[str, list[str]] = Field(
        default_factory=_lkubot_commands,
        description=(
            "the slash commands the workspace's app registered, each with its verbs; the page "
            "refuses other commands as Slack does"
        ),
    )
    words: list[str] = Field(
        default_factory=list,
        description="offered after the verb: LPAR names, group:NAME targets, request ids...",
    )


class PageOptions(BaseModel):
    """How the emulator serves its browser page (`SlackEmulator.start(page=PageOptions())`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    completions: Completions = Field(default_factory=Completions)
    default_channel: str = Field(
        default="aix-team", description="the channel the page opens on, by name or id"
    )
    default_user: str = Field(
        default="carol", description="whom the page acts as until the switcher says otherwise"
    )
    history_limit: int = Field(
        default=200, ge=1, le=5000, description="newest messages of a channel the page shows"
    )
