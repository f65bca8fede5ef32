"""The slack_bolt app, built from injected parts; nothing here reads the environment.

    app, workflow = build_app(BotParts(client=..., services=..., notifier=..., tasks=...,
                                       signing_secret=...))

`signing_secret` set: every HTTP request must carry Slack's signature over it (HTTP mode,
`lkubot run --http PORT`); None: requests arrive over Socket Mode, where the WebSocket itself
is authenticated and no signature is sent. One global middleware drops repeated deliveries
(Slack's retries), and one error hook answers every failure privately (`bot.errors`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import errors
from bot.auth import ChannelAllowList
from bot.deliveries import RecentDeliveries, once_per_delivery
from bot.listeners import cancel, details, launch, llu, slash, votes
from bot.notify import Notifier
from bot.tasks import TaskRegistry
from bot.workflow import Workflow
from commands.services import Services


@dataclass(frozen=True)
class BotParts:
    """Everything the app is made of; the caller owns their lifetimes."""

    client: AsyncWebClient
    services: Services
    notifier: Notifier
    tasks: TaskRegistry
    signing_secret: str | None
    """Slack's signing secret (HTTP mode), or None for Socket Mode."""
    channels: ChannelAllowList = field(default_factory=ChannelAllowList)
    deliveries: RecentDeliveries = field(default_factory=RecentDeliveries)


def build_app(parts: BotParts) -> tuple[AsyncApp, Workflow]:
    """The bolt app with every listener registered, and the workflow they start."""
    app = AsyncApp(
        client=parts.client,
        # An explicit value, so bolt never looks in the environment for one.
        signing_secret=parts.signing_secret or "",
        request_verification_enabled=parts.signing_secret is not None,
        # Every listener acks first and only hands its work to the task registry, so running
        # it inline answers Slack in the same pass over the request; bolt's default runs it
        # as another task and polls for the ack every 10 ms, which under load puts each ack
        # behind everything else the event loop has queued (bench/bench_ack.py).
        process_before_response=True,
        logger=logging.getLogger("lkubot.bolt"),
        name="lkubot",
    )
    errors.install(app)
    app.middleware(once_per_delivery(parts.deliveries))
    workflow = Workflow(parts.services, parts.client, parts.notifier, parts.tasks)
    slash.register(app, workflow, parts.channels)
    votes.register(app, workflow)
    launch.register(app, workflow)
    cancel.register(app, workflow)
    details.register(app, workflow)
    llu.register(app, workflow)
    return app, workflow
