"""What can go wrong when a test drives the emulator.

    EmulatorError
    ├── UnknownUser          no user with that id or name
    ├── UnknownChannel       no channel with that id or name
    ├── UnknownMessage       no message or ephemeral with that ts
    ├── UnknownView          no open view with that id
    ├── ElementNotFound      the message or view has no such button or select
    ├── RequiredInputMissing a modal was submitted with a required input left empty
    ├── NoBotConnected       nowhere to deliver: no events URL and no Socket Mode connection
    └── WaitTimeout          a wait_for... helper gave up

`SlackApiError` is different: it is the error the emulator answers a Web API call with
(`{"ok": false, "error": ...}`); it never reaches a test.
"""

from __future__ import annotations

from typing import Any


class EmulatorError(Exception):
    """Something a test asked of the emulator cannot be done; the message says why."""


class UnknownUser(EmulatorError):
    """No user with that id or name."""


class UnknownChannel(EmulatorError):
    """No channel with that id or name."""


class UnknownMessage(EmulatorError):
    """No message or ephemeral message with that ts."""


class UnknownView(EmulatorError):
    """No open view with that id."""


class ElementNotFound(EmulatorError):
    """The message or view has no interactive element matching what was asked."""


class RequiredInputMissing(EmulatorError):
    """Slack's client refuses to submit a modal with an empty required input."""


class NoBotConnected(EmulatorError):
    """There is no events URL and no Socket Mode connection to deliver to."""


class WaitTimeout(EmulatorError):
    """A wait_for... helper saw no matching state before its timeout."""


class SlackApiError(Exception):
    """A Web API error answer: Slack's error code plus any extra fields Slack adds."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}
