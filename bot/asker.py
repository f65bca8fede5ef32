"""The person who asked, and how to answer them privately.

A slash command or a click on a message carries a `response_url`: an answer posted there is
ephemeral ("Only visible to you") and costs no Web API call. A modal submission carries none,
so the answer goes through `chat.postEphemeral` in the channel the modal was opened from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asker:
    """Who asked (a Slack user id), where, and the ways back to them."""

    user: str
    channel: str | None
    client: AsyncWebClient
    respond: AsyncRespond | None = None

    async def tell(
        self, text: str, blocks: list[Block] | list[dict[str, Any]] | None = None
    ) -> None:
        """Answer privately: through the response URL when there is one, else ephemerally."""
        if self.respond is not None and self.respond.response_url:
            # Not bolt's respond(): it opens a new HTTP session for every answer, where the
            # Web API client's session keeps the connection to Slack open for the next one.
            webhook = AsyncWebhookClient(
                self.respond.response_url,
                session=self.client.session,
                proxy=self.client.proxy,
                ssl=self.client.ssl,
            )
            await webhook.send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
        elif self.channel is not None:
            await self.client.chat_postEphemeral(
                channel=self.channel, user=self.user, text=text, blocks=blocks
            )
        else:
            log.warning("no way to answer %s privately; it was: %s", self.user, text)


def asker_from(
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    channel: str | None = None,
) -> Asker:
    """The asker of a slash command, block action or view submission payload.

    `channel` overrides the payload's (a modal knows its channel only from its metadata)."""
    user = body.get("user_id") or (body.get("user") or {}).get("id") or ""
    where = (
        channel
        or body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
    )
    return Asker(user=str(user), channel=where, client=client, respond=respond)
