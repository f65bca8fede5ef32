"""The one place errors reach the user.

Listeners and background tasks hold no `try`: what they raise comes here. An error lkubot
expects (a refusal by the rules, a malformed command, an unknown LPAR, an unreachable LPAR...)
carries one sentence the person can act on, and only they see it. Anything else is a bug or
an outage: it is logged with a short reference, and the person gets that reference so the
admins can find the log lines.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import Asker, asker_from
from bot.tasks import ErrorReporter, ShuttingDown
from bot.views.actions import BadActionValue
from bot.views.message import SlackMessage
from bot.views.replies import render_error
from bot.views.request_card import CheckNotFound
from commands.words import UsageError
from liveupdate.errors import Refused
from lpar.inventory import UnknownTargetError
from lpar.ssh import SshError
from storage.errors import StorageError

log = logging.getLogger(__name__)

EXPECTED: tuple[type[Exception], ...] = (
    Refused,
    UsageError,
    UnknownTargetError,
    StorageError,
    ShuttingDown,
    SshError,
    BadActionValue,
    CheckNotFound,
)
"""Errors whose own text is the answer: their sentences are written for the person who asked."""


def describe(error: BaseException) -> SlackMessage:
    """The private answer for `error`; unexpected errors are logged under a reference."""
    if isinstance(error, EXPECTED):
        return render_error(str(error))
    reference = secrets.token_hex(3)
    log.error("unexpected error, reference %s", reference, exc_info=error)
    return render_error(
        "lkubot hit an unexpected error and did not finish this. Check `/lku status` before "
        "trying again.",
        reference,
    )


async def report(error: BaseException, asker: Asker) -> None:
    """Tell `asker` privately what went wrong."""
    message = describe(error)
    await asker.tell(message.text, list(message.blocks))


def reporter(asker: Asker) -> ErrorReporter:
    """The error reporter for background work started on behalf of `asker`."""

    async def send(error: BaseException) -> None:
        await report(error, asker)

    return send


def install(app: AsyncApp) -> None:
    """Make `on_error` the app's global error hook."""
    app.error(on_error)


async def on_error(
    error: Exception,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    response: BoltResponse | None,
) -> BoltResponse | None:
    """Bolt's global error hook: answer privately with the error's own sentence."""
    if response is not None and "command" in body:
        # Not acknowledged yet: the answer travels in the ack itself, at no extra cost.
        message = describe(error)
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", **message.as_kwargs()}),
            headers={"content-type": ["application/json;charset=utf-8"]},
        )
    await report(error, asker_from(body, client, respond))
    return None
