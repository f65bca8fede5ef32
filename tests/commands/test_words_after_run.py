"""The words of an admin's work after a run: `cleanup RUN` and `resolve RUN succeeded|failed
REASON`."""

from __future__ import annotations

import pytest

from commands.words import Cleanup, Resolve, UsageError, parse


def test_cleanup_names_one_run() -> None:
    assert parse("lku", "cleanup lu-17-1") == Cleanup(kind="lku", run_id="LU-17-1")
    with pytest.raises(UsageError, match="Which run"):
        parse("lku", "cleanup")
    with pytest.raises(UsageError, match="is not a run id"):
        parse("lku", "cleanup LU-17")


def test_resolve_says_how_the_run_ended_and_why_the_admin_knows() -> None:
    assert parse("lku", "resolve LU-17-1 Failed oslevel unchanged, clvupdate run") == Resolve(
        kind="lku", run_id="LU-17-1", outcome="failed", reason="oslevel unchanged, clvupdate run"
    )


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("resolve LU-17-1", "Usage: `/lku resolve RUN succeeded|failed reason`"),
        ("resolve LU-17-1 cancelled it was stopped", "Usage: `/lku resolve RUN"),
        ("resolve LU-17-1 succeeded ok", "Say what you found on the LPAR"),
        ("resolve LU-17 succeeded checked the console", "is not a run id"),
    ],
)
def test_resolve_refuses_what_is_not_a_closing(words: str, said: str) -> None:
    with pytest.raises(UsageError, match=said.replace("|", r"\|").replace("`", ".")):
        parse("lku", words)
