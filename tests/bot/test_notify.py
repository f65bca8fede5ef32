"""The notices of a request's end anchor the audit chain: they carry the head as it was once
the end had been recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.notify import Notifier
from liveupdate.requests import Cancel, Reject
from sim.slack.blockkit import text_of
from storage.store import Store
from tests.bot.test_status_card import SyncStore
from tests.policy.factory import BOB, REQUESTER, example_groups, prod_policy
from tests.storage.conftest import NOW, open_pending


class PostedNotices:
    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    async def chat_postMessage(self, **args: Any) -> dict[str, Any]:
        self.posted.append(args)
        return {"ok": True, "channel": args["channel"], "ts": "1764370000.000001"}


async def test_a_rejection_and_a_cancel_are_announced_with_the_head_that_records_them(
    tmp_path: Path,
) -> None:
    slack = PostedNotices()
    policy = prod_policy()
    with Store.open(tmp_path / "lkubot.db") as store:
        notifier = Notifier(slack, example_groups(), SyncStore(store))  # type: ignore[arg-type]
        rejected = open_pending(store, policy)
        rejected = store.apply(rejected.id, Reject(user=BOB, reason="wrong media"), policy, NOW)
        await notifier.rejected(rejected)
        cancelled = open_pending(store, policy, "lpar02")
        cancelled = store.apply(cancelled.id, Cancel(user=REQUESTER), policy, NOW)
        await notifier.cancelled(cancelled)

        for notice, request in zip(slack.posted, (rejected, cancelled), strict=True):
            assert notice["channel"] == "C0PRODOPS"
            text = text_of(notice["blocks"])
            assert f"*{request.id}*" in text
            anchor = text.rsplit(" · audit head `", 1)[1].removesuffix("`")
            # The anchor is the row that recorded this end, and it stays in the chain.
            assert store.audit_trail(request.id)[-1].hash.startswith(anchor)
            assert store.verify_audit(anchor=anchor).anchored
