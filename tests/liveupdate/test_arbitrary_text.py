"""No parser raises on any text, and the follower resumes exactly from saved events."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from liveupdate.detect import KINDS, detect, parse_as
from liveupdate.lvcheck import check_lvupdate_text
from liveupdate.lvevents import LOG_EVENTS, LogEvent
from liveupdate.lvlog import LogFollower
from tests.liveupdate.samples import sample, success_lines
from tests.liveupdate.test_lvlog import FAILED_RUN

# Lines of every real sample plus awkward fragments: random text built from these reaches the
# parsers' interesting paths far more often than random characters do.
_REAL_LINES = sorted(
    {
        line
        for name in (
            "lku-success-1.log",
            "lku-preview-fail-hmcauth-1430-246.txt",
            "lvupdate-data-hmc-1.txt",
            "lvupdate-data-skeleton-1.txt",
            "lparstat-i-1.txt",
            "emgr-l-1.txt",
            "hmcauth-l-1.txt",
            "oslevel-s-1.txt",
        )
        for line in sample(name).splitlines()
    }
    | {
        "@@ -1,2 +1 @@",
        "@@ -0,0 +1,3 @@",
        "3a4",
        "5,6c5",
        "---",
        "+++ /etc/x",
        "--- /etc/x",
        "> added",
        "< removed",
        "Proc_pid: 1 Proc_name: init",
        "An LLU-capable library is newer for process 7.",
        "Library needs to be updated /usr/lib/libc.a(_shr.o)",
        "pid 7 timed out",
        "lkubot-exit: 1",
        "12/31/2024-23:59:59 Blackout Time started.",
        "02/30/2025-00:00:00 Blackout Time end.",
        "1430-999",
        "\r",
        "\t",
        "",
    }
)
_MIXED = st.lists(st.sampled_from(_REAL_LINES) | st.text(max_size=40), max_size=40).map("\n".join)
_ANY = st.text(max_size=300) | _MIXED


@settings(max_examples=150, deadline=None)
@given(_ANY)
def test_no_parser_raises_on_any_text(text: str) -> None:
    for kind in KINDS:
        parse_as(kind, text)
    detect(text)
    check_lvupdate_text(text)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([*_REAL_LINES, *success_lines(), *FAILED_RUN]), max_size=60),
    st.data(),
)
def test_resuming_from_saved_events_at_any_line_gives_the_same_summary(
    lines: list[str], data: st.DataObject
) -> None:
    whole = LogFollower.replay(lines)
    whole.finish()

    cut = data.draw(st.integers(min_value=0, max_value=len(lines)))
    first = LogFollower()
    saved: list[LogEvent] = []
    for line in lines[:cut]:
        saved.extend(first.feed(line))
    resumed = LogFollower.from_events(LOG_EVENTS.validate_json(LOG_EVENTS.dump_json(saved)))
    resumed.feed_many(lines[resumed.settled_lines :])
    resumed.finish()
    assert resumed.summary() == whole.summary()
