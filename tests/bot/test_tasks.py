"""The task registry keeps background work alive, reports its failures, and stops it cleanly."""

from __future__ import annotations

import asyncio

import pytest

from bot.tasks import ShuttingDown, TaskRegistry


async def test_a_failure_goes_to_the_reporter_of_its_task() -> None:
    tasks = TaskRegistry()
    seen: list[BaseException] = []

    async def report(error: BaseException) -> None:
        seen.append(error)

    async def fails() -> None:
        raise ValueError("the LPAR said no")

    tasks.spawn(fails(), name="preview lpar01", report=report)
    await tasks.wait_idle(within=2)
    assert [str(e) for e in seen] == ["the LPAR said no"]
    assert tasks.running == []


async def test_tasks_are_kept_until_they_end() -> None:
    tasks = TaskRegistry()
    release = asyncio.Event()
    tasks.spawn(release.wait(), name="run LU-1-1")
    await asyncio.sleep(0)
    assert tasks.running == ["run LU-1-1"]
    release.set()
    await tasks.wait_idle(within=2)
    assert tasks.running == []


async def test_shutdown_cancels_running_work_and_refuses_new_work() -> None:
    tasks = TaskRegistry()
    cancelled = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    tasks.spawn(forever(), name="follow LU-2-1")
    await asyncio.sleep(0)
    await tasks.shutdown(grace=2)
    assert cancelled.is_set()
    assert tasks.running == []
    with pytest.raises(ShuttingDown, match="try again"):
        tasks.spawn(asyncio.sleep(0), name="late")


async def test_a_reporter_that_fails_does_not_escape() -> None:
    tasks = TaskRegistry()

    async def broken_report(error: BaseException) -> None:
        raise RuntimeError("Slack is down too")

    async def fails() -> None:
        raise ValueError("boom")

    task = tasks.spawn(fails(), name="x", report=broken_report)
    await asyncio.wait_for(task, timeout=2)
    assert task.exception() is None
