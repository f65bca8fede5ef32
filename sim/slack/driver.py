"""Delivering to the bot what users do, over HTTP or Socket Mode, and acting on its acks.

Over HTTP the body is POSTed to the bot's events URL, signed like Slack signs it, with Slack's
3 s deadline. Tests can forge or drop the signature, send a stale timestamp, or replay a
delivery as one of Slack's retries (`X-Slack-Retry-Num`, `X-Slack-Retry-Reason`).

What Slack does with the ack is done here too: a slash command's ack text becomes an ephemeral
reply (or an in-channel message), a view submission's `response_action` updates, pushes,
clears or keeps the modal, and a missed deadline shows the user Slack's own error notice.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

import aiohttp
from pydantic import BaseModel, ConfigDict

from sim.slack.config import Credentials, EmulatorConfig
from sim.slack.errors import EmulatorError, NoBotConnected, SlackApiError
from sim.slack.methods import Args, content_of, view_of
from sim.slack.payloads import Interaction
from sim.slack.signing import sign
from sim.slack.socketmode import SocketModeServer
from sim.slack.workspace import SLACKBOT, OpenView, Workspace

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


class DeliveryOptions(BaseModel):
    """How to deliver: the defaults are what Slack does on a first attempt."""

    model_config = ConfigDict(frozen=True)

    via: Literal["http", "socket"] | None = None
    signature: Literal["valid", "forged", "missing"] = "valid"
    timestamp: int | None = None
    retry_num: int | None = None
    retry_reason: str | None = None


class Delivery(BaseModel):
    """One delivery to the bot and how it went."""

    interaction: Interaction
    via: Literal["http", "socket"]
    acked: bool
    status: int | None = None
    body: str = ""
    ack: dict[str, Any] | None = None
    elapsed: float
    error: str | None = None

    @property
    def response_action(self) -> str | None:
        return (
            str(self.ack["response_action"]) if self.ack and "response_action" in self.ack else None
        )


class Driver:
    def __init__(
        self,
        config: EmulatorConfig,
        credentials: Credentials,
        workspace: Workspace,
        sockets: SocketModeServer,
        session: aiohttp.ClientSession,
        deliveries: list[Delivery],
    ) -> None:
        self.config = config
        self.credentials = credentials
        self.workspace = workspace
        self.sockets = sockets
        self.session = session
        self.deliveries = deliveries
        self.events_url: str | None = None

    async def deliver(self, interaction: Interaction, options: DeliveryOptions) -> Delivery:
        via = options.via or ("http" if self.events_url else "socket")
        if via == "http":
            delivery = await self._post(interaction, options)
        else:
            if options.signature != "valid" or options.timestamp is not None:
                raise EmulatorError("Signatures and timestamps are HTTP matters; use via='http'.")
            delivery = await self._send(interaction, options)
        self.deliveries.append(delivery)
        self._apply(delivery)
        return delivery

    async def _post(self, interaction: Interaction, options: DeliveryOptions) -> Delivery:
        if self.events_url is None:
            raise NoBotConnected("No events URL is set: give the bot's /slack/events URL first.")
        body = interaction.form_body()
        timestamp = str(options.timestamp if options.timestamp is not None else int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
            "X-Slack-Request-Timestamp": timestamp,
        }
        if options.signature == "valid":
            headers["X-Slack-Signature"] = sign(self.credentials.signing_secret, timestamp, body)
        elif options.signature == "forged":
            headers["X-Slack-Signature"] = sign("not-the-signing-secret", timestamp, body)
        if options.retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(options.retry_num)
            headers["X-Slack-Retry-Reason"] = options.retry_reason or "http_timeout"
        started = time.monotonic()
        timeout = aiohttp.ClientTimeout(total=self.config.ack_timeout)
        try:
            async with self.session.post(
                self.events_url, data=body, headers=headers, timeout=timeout
            ) as reply:
                text = await reply.text()
                status, content_type = reply.status, reply.content_type
        except TimeoutError:
            return self._missed(interaction, "http", started, "operation_timeout")
        except aiohttp.ClientError:
            return self._missed(interaction, "http", started, "dispatch_failed")
        acked = 200 <= status < 300
        return Delivery(
            interaction=interaction,
            via="http",
            acked=acked,
            status=status,
            body=text,
            ack=_parse_ack(text, content_type) if acked else None,
            elapsed=time.monotonic() - started,
            error=None if acked else "dispatch_failed",
        )

    async def _send(self, interaction: Interaction, options: DeliveryOptions) -> Delivery:
        await self.sockets.wait_connected(self.config.ack_timeout)
        started = time.monotonic()
        ack = await self.sockets.send(
            interaction,
            within=self.config.ack_timeout,
            retry_attempt=options.retry_num,
            retry_reason=options.retry_reason,
        )
        if ack is None:
            return self._missed(interaction, "socket", started, "operation_timeout")
        return Delivery(
            interaction=interaction,
            via="socket",
            acked=True,
            ack=ack,
            body=json.dumps(ack) if ack else "",
            elapsed=time.monotonic() - started,
        )

    def _missed(
        self, interaction: Interaction, via: Literal["http", "socket"], started: float, error: str
    ) -> Delivery:
        return Delivery(
            interaction=interaction,
            via=via,
            acked=False,
            elapsed=time.monotonic() - started,
            error=error,
        )

    # --- what Slack does with the ack --------------------------------------------------

    def _apply(self, delivery: Delivery) -> None:
        kind = delivery.interaction.type
        if kind == "slash_commands":
            self._apply_command_ack(delivery)
        elif kind == "view_submission" and delivery.acked:
            self._apply_submission_ack(delivery)

    def _apply_command_ack(self, delivery: Delivery) -> None:
        payload = delivery.interaction.payload
        channel, user = payload["channel_id"], payload["user_id"]
        if not delivery.acked:
            # Slack tells only the user, in Slackbot's voice, and the bot never hears of it.
            notice = f'{payload["command"]} failed with the error "{delivery.error}"'
            self.workspace.post_ephemeral(
                channel, user=user, text=notice, blocks=[], sender=SLACKBOT
            )
            return
        if not delivery.ack:
            return
        try:
            text, blocks = content_of(Args(delivery.ack), require=True)
        except SlackApiError as error:
            delivery.error = error.error
            return
        if delivery.ack.get("response_type") == "in_channel":
            self.workspace.post(channel, user=self.config.bot_user_id, text=text, blocks=blocks)
        else:
            self.workspace.post_ephemeral(channel, user=user, text=text, blocks=blocks)

    def _apply_submission_ack(self, delivery: Delivery) -> None:
        view_id = delivery.interaction.payload["view"]["id"]
        opened = self.workspace.views[view_id]
        action = delivery.response_action
        ack = delivery.ack or {}
        if action == "errors":
            return
        if action in ("update", "push"):
            try:
                new_view = view_of(Args({"view": ack.get("view")}))
            except SlackApiError as error:
                delivery.error = error.error
                return
            if action == "update":
                self.workspace.update_view(opened, new_view)
            else:
                self.workspace.open_view(opened.user, new_view, previous=opened)
            return
        if action == "clear":
            for view in self._stack(opened):
                self.workspace.close_view(view)
            return
        self.workspace.close_view(opened)

    def _stack(self, opened: OpenView) -> list[OpenView]:
        root = opened.view["root_view_id"]
        return [v for v in self.workspace.open_views().values() if v.view["root_view_id"] == root]


def _parse_ack(text: str, content_type: str) -> dict[str, Any]:
    """An ack body as Slack reads it: JSON when it says so, else plain text as the reply."""
    if not text:
        return {}
    if content_type == "application/json":
        try:
            parsed = json.loads(text)
        except ValueError:
            return {"text": text}
        return parsed if isinstance(parsed, dict) else {"text": text}
    return {"text": text}
