"""The one error hook: a refusal is shown with its own sentence; anything else is logged with
a short reference that the person is given."""

from __future__ import annotations

import logging
import re

import pytest

from bot.errors import describe
from bot.views.actions import BadActionValue, CheckRef
from bot.views.request_card import CheckNotFound
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


def test_a_button_from_another_version_and_a_stale_evidence_menu_are_told_not_logged(
    caplog,
) -> None:
    with pytest.raises(BadActionValue) as old_button:
        CheckRef.from_value("LU-17")
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        for error in (old_button.value, CheckNotFound("LU-17 has no preview of lpar02.")):
            message = describe(error)
            assert message.text == str(error)
            assert "Reference" not in str(message.blocks)
    assert caplog.records == []


def test_unexpected_errors_are_logged_under_the_reference_the_user_sees(caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        message = describe(KeyError("card_ts"))
    shown = re.search(r"Reference `([0-9a-f]{6})`", str(message.blocks))
    assert shown is not None
    assert "card_ts" not in message.text  # internals stay in the log
    [record] = caplog.records
    assert shown.group(1) in record.getMessage()
    assert record.exc_info is not None
