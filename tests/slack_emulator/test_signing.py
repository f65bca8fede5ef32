"""Deliveries are signed exactly like Slack signs them: slack_sdk's own verifier agrees, and
forged signatures, stale timestamps and retries look the way Slack's would."""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from sim.slack import DeliveryOptions, SlackEmulator
from sim.slack.signing import sign

from .conftest import stub_bot


def test_sign_matches_slacks_published_example() -> None:
    # The worked example in https://api.slack.com/authentication/verifying-requests-from-slack
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect"
        "&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554"
        "%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


async def test_slack_sdk_verifies_what_the_driver_sends(slack: SlackEmulator) -> None:
    verifier = SignatureVerifier(slack.credentials.signing_secret)
    async with stub_bot(slack) as bot:
        delivery = await slack.slash("carol", "#aix-team", "/lku", "preview lpar01")
    assert delivery.acked
    assert delivery.status == 200
    [(body, headers)] = bot.received
    assert verifier.is_valid_request(body, headers)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert abs(int(headers["X-Slack-Request-Timestamp"]) - time.time()) < 5
    form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    assert form["command"] == "/lku"
    assert form["text"] == "preview lpar01"
    assert form["user_id"] == "U0CAROL01"
    assert form["channel_name"] == "aix-team"


async def test_forged_missing_and_stale_signatures_fail_verification(slack: SlackEmulator) -> None:
    verifier = SignatureVerifier(slack.credentials.signing_secret)
    stale = int(time.time()) - 10 * 60
    async with stub_bot(slack) as bot:
        await slack.slash("carol", "aix-team", "/lku", "list", DeliveryOptions(signature="forged"))
        await slack.slash("carol", "aix-team", "/lku", "list", DeliveryOptions(signature="missing"))
        await slack.slash("carol", "aix-team", "/lku", "list", DeliveryOptions(timestamp=stale))
    forged, missing, old = bot.received
    assert not verifier.is_valid_request(*forged)
    assert "X-Slack-Signature" not in missing[1]
    assert not verifier.is_valid_request(*missing)
    assert old[1]["X-Slack-Request-Timestamp"] == str(stale)
    assert not verifier.is_valid_request(*old)
    # A correct signature over the stale timestamp: only the age is wrong.
    assert old[1]["X-Slack-Signature"] == sign(slack.credentials.signing_secret, str(stale), old[0])


async def test_a_retry_resends_the_same_body_with_slacks_headers(slack: SlackEmulator) -> None:
    async with stub_bot(slack) as bot:
        first = await slack.slash("carol", "aix-team", "/lku", "launch LU-17")
        await slack.deliver(
            first.interaction, DeliveryOptions(retry_num=1, retry_reason="http_timeout")
        )
    (body, headers), (again, retry_headers) = bot.received
    assert again == body
    assert "X-Slack-Retry-Num" not in headers
    assert retry_headers["X-Slack-Retry-Num"] == "1"
    assert retry_headers["X-Slack-Retry-Reason"] == "http_timeout"
