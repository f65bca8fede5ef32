"""The scripted story stops at the first step that does not happen as the story needs, and
says which; the transcript up to there shows what Slack showed instead."""

from __future__ import annotations

import io

import pytest

from bot.demo import STORY_LPAR, demo_world
from bot.demo_story import StoryError, play_story
from bot.demo_transcript import Transcript

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


async def test_a_failed_preview_stops_the_story_at_once_saying_so(tmp_path) -> None:
    async with demo_world(tmp_path, speed=200.0) as world:
        # The LPAR the story uses loses its HMC token: AIX refuses the preview (1430-246).
        world.fleet.lpar(STORY_LPAR).state.hmc_token = None
        out = io.StringIO()
        with Transcript(world.slack, out) as transcript, pytest.raises(StoryError) as stopped:
            await play_story(world, transcript)
    assert str(stopped.value) == (
        "LU-1 is preview_failed after the preview, not waiting for approvals: see its card"
    )
    shown = out.getvalue()
    assert "carol   /lku preview lpar002" in shown
    assert "1430-246" in shown
    assert "[Approve]" not in shown, "a failed preview offers no vote"
