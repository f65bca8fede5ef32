"""The Slack Web API client lkubot uses everywhere, and the upload of long texts as files.

`build_slack_client` gives slack_sdk's `AsyncWebClient` with its own retry handlers:
- HTTP 429: wait for Retry-After and try again (`AsyncRateLimitErrorRetryHandler`), enough
  times to sit out a minute or more of rate limiting, so a status edit or a final summary is
  late rather than lost;
- a connection reset or refused, and Slack's 500/503: a few retries with backoff.
Everything else (`channel_not_found`, `invalid_blocks`, ...) raises `SlackApiError` at once:
those are bugs or configuration, and retrying would only hide them.

`slack_connections()` is the HTTP session a long-running bot gives it: without one, slack_sdk
opens a new session, TCP connection and TLS handshake for every call, and bolt's `respond()`
does the same for every private answer (`bot.asker` answers through this session instead).

    async with slack_connections() as session:
        client = build_slack_client(token, base_url=url, session=session)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from pydantic import BaseModel, ConfigDict
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

RATE_LIMIT_RETRIES = 20
"""Slack asks for 1 to 60 s per 429; 20 tries outlast minutes of limiting on one call."""
CONNECTION_RETRIES = 4
SERVER_ERROR_RETRIES = 3
REQUEST_TIMEOUT = 30
"""Seconds for one HTTP request to Slack (slack_sdk's default)."""
OPEN_CONNECTIONS = 100
"""Connections to Slack open at once (aiohttp's default); more calls wait for a free one."""
IDLE_SECONDS = 30.0
"""How long an idle connection is kept for the next call. A connection Slack closed in the
meantime fails on reuse and is retried like any reset connection."""


def retry_handlers() -> list[AsyncRetryHandler]:
    """429s honour Retry-After; connection errors and 500/503 back off (0.5 s, 1 s, 2 s, ...)."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        AsyncConnectionErrorRetryHandler(
            max_retry_count=CONNECTION_RETRIES, interval_calculator=backoff
        ),
        AsyncServerErrorRetryHandler(
            max_retry_count=SERVER_ERROR_RETRIES, interval_calculator=backoff
        ),
    ]


@contextlib.asynccontextmanager
async def slack_connections() -> AsyncIterator[aiohttp.ClientSession]:
    """Keep-alive HTTP connections to Slack for every call, closed when the block ends."""
    connector = aiohttp.TCPConnector(limit=OPEN_CONNECTIONS, keepalive_timeout=IDLE_SECONDS)
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


def build_slack_client(
    token: str,
    *,
    base_url: str | None = None,
    timeout: int = REQUEST_TIMEOUT,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """The bot's Web API client; `base_url` points it at another Slack (the emulator in tests,
    `LKUBOT_SLACK_API_URL`), ending in `/api/`. Without `session` every call opens its own
    connection, which suits a short-lived client (a test, a one-off command)."""
    return AsyncWebClient(
        token=token,
        base_url=_with_slash(base_url or AsyncWebClient.BASE_URL),
        timeout=timeout,
        session=session,
        retry_handlers=retry_handlers(),
    )


def _with_slash(url: str) -> str:
    # slack_sdk joins the method name straight onto the base URL.
    return url if url.endswith("/") else url + "/"


class UploadedFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str


async def upload_text(
    client: AsyncWebClient,
    *,
    channel: str,
    thread_ts: str | None,
    filename: str,
    title: str,
    content: str,
    comment: str | None = None,
) -> UploadedFile:
    """Share `content` as a file in `channel` (in the thread `thread_ts`), with files_upload_v2:
    three calls (get an upload URL, upload, complete), each retried like any other call."""
    response = await client.files_upload_v2(
        channel=channel,
        thread_ts=thread_ts,
        filename=filename,
        title=title,
        content=content,
        initial_comment=comment,
    )
    file = response["files"][0]
    return UploadedFile(id=str(file["id"]), title=str(file.get("title") or title))
