"""How Slack signs what it sends an app (https://api.slack.com/authentication/verifying-requests-from-slack):
`v0=` + HMAC-SHA256 of `v0:<timestamp>:<body>` keyed with the app's signing secret."""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, timestamp: str, body: str) -> str:
    """The `X-Slack-Signature` header value for a body sent at `timestamp` (Unix seconds)."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
