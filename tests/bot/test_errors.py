"""The one error hook: a refusal is shown with its own sentence; anything else is logged with
a short reference that the person is given."""

from __future__ import annotations

import logging
import re

from bot.errors import describe
from commands.words import UsageError
from liveupdate.errors import RequesterCannotVote
from lpar.inventory import UnknownTargetError


def test_expected_errors_speak_for_themselves() -> None:
    for error in (
        RequesterCannotVote("You asked for this update, so someone else has to approve it."),
        UsageError("`17` is not a request id; they look like `LU-17`."),
        UnknownTargetError('There is no LPAR "lpar9" in lpars.yml. Did you mean "lpar1"?'),
    ):
        message = describe(error)
        assert message.text == str(error)
        assert "Reference" not in str(message.blocks)


def test_unexpected_errors_are_logged_under_the_reference_the_user_sees(caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        message = describe(KeyError("card_ts"))
    shown = re.search(r"Reference `([0-9a-f]{6})`", str(message.blocks))
    assert shown is not None
    assert "card_ts" not in message.text  # internals stay in the log
    [record] = caplog.records
    assert shown.group(1) in record.getMessage()
    assert record.exc_info is not None
