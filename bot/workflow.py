"""What happens after a listener has acknowledged: the work behind each command and click.

Each method runs in the task registry on behalf of one person (`Asker`), calls a command
(`commands/`), and then shows the outcome: the request card edited in place, a private
answer, a notice in the group's channel. The order is always the same: storage records the
change first (inside the command), then Slack is told, so a Slack failure never loses a
decision and a retry never makes a second one.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Coroutine
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import Asker
from bot.auth import ChannelAllowList
from bot.errors import reporter
from bot.notify import Notifier
from bot.tasks import TaskRegistry
from bot.views import dialogs, replies
from bot.views.actions import CheckRef
from bot.views.message import SlackMessage
from bot.views.request_card import render_check_details, render_request_card
from commands import cancel as cancel_command
from commands import cleanup as cleanup_command
from commands import hold, status, vote, words
from commands import launch as launch_command
from commands import preview as preview_command
from commands import resolve as resolve_command
from commands.services import Services
from liveupdate.requests import Request, RequestState, SlackLocation
from lpar.engine import CancelSent
from storage.shown import record_card_version, record_notice
from storage.store import Store

log = logging.getLogger(__name__)


class Workflow:
    """The bot's work, started by listeners and run in the task registry."""

    def __init__(
        self,
        services: Services,
        client: AsyncWebClient,
        notifier: Notifier,
        tasks: TaskRegistry,
    ) -> None:
        self.services = services
        self.client = client
        self.notifier = notifier
        self.tasks = tasks

    def start(self, asker: Asker, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run `work` in the background; its errors are told to `asker` privately."""
        self.tasks.spawn(work, name=name, report=reporter(asker))

    async def slash(
        self, asker: Asker, kind: words.Kind, text: str, channels: ChannelAllowList
    ) -> None:
        """A slash command: checked against the allow-list, parsed, then done."""
        if asker.channel is not None:
            channels.check(asker.channel)
        await self.run_command(asker, words.parse(kind, text))

    async def run_command(self, asker: Asker, command: words.Command) -> None:
        match command:
            case words.Help():
                await self._tell(asker, replies.render_help(command.kind, command.topic))
            case words.Preview():
                await self.preview(asker, command)
            case words.Approve():
                await self.approve(asker, command.request_id, command.comment)
            case words.Reject():
                await self.reject(asker, command.request_id, command.reason)
            case words.Launch():
                await self.launch(asker, command.request_id, command.override_reason)
            case words.Cancel():
                await self.cancel(asker, command.request_id)
            case words.Status():
                await self.status(asker, command)
            case words.ListRequests():
                opened = await status.list_open(self.services)
                await self._tell(
                    asker,
                    replies.render_request_list(
                        opened.requests, opened.locks, opened.freeze, self.services.clock()
                    ),
                )
            case words.History():
                past = await status.lpar_history(self.services, command.lpar)
                await self._tell(asker, replies.render_history(past.lpar, past.entries))
            case words.Lock():
                lock = await hold.lock(self.services, command.lpar, asker.user, command.reason)
                await self._tell(
                    asker,
                    replies.render_notice(
                        f"{lock.lpar} is held: no launches there until `/lku unlock {lock.lpar}`."
                    ),
                )
            case words.Unlock():
                lpar = await hold.unlock(self.services, command.lpar, asker.user)
                await self._tell(asker, replies.render_notice(f"{lpar} is no longer held."))
            case words.Freeze():
                freeze = await hold.freeze(
                    self.services, asker.user, on=command.on, reason=command.reason
                )
                await self.notifier.freeze(freeze)
                state = "on: no launches anywhere" if freeze.active else "off"
                await self._tell(asker, replies.render_notice(f"The freeze is {state}."))
            case words.Cleanup():
                await self.cleanup(asker, command.run_id)
            case words.Resolve():
                run = await resolve_command.resolve(
                    self.services,
                    command.run_id,
                    asker.user,
                    outcome=command.outcome,
                    reason=command.reason,
                )
                await self._tell(
                    asker,
                    replies.render_notice(
                        f"{run.id} is closed as {run.state.value}, and {run.lpar} is free again."
                    ),
                )

    # --- requests ------------------------------------------------------------------------

    async def preview(self, asker: Asker, command: words.Preview) -> None:
        """Preview on the LPARs, open the request, post its card where the command was typed."""
        if asker.channel is None:
            raise preview_command.PreviewRefused(
                "lkubot posts the request card in a channel: type the command in one."
            )
        preview_command.group_of(self.services, command)
        await self._tell(asker, replies.render_notice(f"Previewing {command.target}…"))
        request = await preview_command.preview(self.services, command, asker.user)
        card = self._card(request)
        posted = await self.client.chat_postMessage(
            channel=asker.channel, unfurl_links=False, **card.as_kwargs()
        )
        location = SlackLocation(channel=str(posted["channel"]), ts=str(posted["ts"]))
        await self.services.store.call(Store.set_card, request.id, location)
        await self.services.store.call(record_card_version, request.id, request.version)
        await self.notifier.requested(request.model_copy(update={"card": location}))

    async def approve(self, asker: Asker, request_id: str, comment: str = "") -> None:
        before = await self.services.store.call(Store.get_request, request_id)
        after = await vote.approve(self.services, request_id, asker.user, comment)
        await self.refresh_card(after)
        if after.state is RequestState.APPROVED and before.state is RequestState.PENDING:
            await self.notifier.approved(after)
        await self._tell(asker, replies.render_notice(f"You approved {after.id}."))

    async def reject(self, asker: Asker, request_id: str, reason: str) -> None:
        after = await vote.reject(self.services, request_id, asker.user, reason)
        await self.refresh_card(after)
        await self.notifier.rejected(after)
        await self._tell(asker, replies.render_notice(f"You rejected {after.id}."))

    async def reject_from_modal(self, asker: Asker, view: dict[str, Any]) -> None:
        """A modal submission carries no channel: answer in the request card's channel."""
        submission = dialogs.read_reject_submission(view)
        request_id = words.parse_request_id(submission.request_id)
        request = await self.services.store.call(Store.get_request, request_id)
        if request.card is not None:
            asker = dataclasses.replace(asker, channel=request.card.channel)
        reject = self.reject(asker, request_id, submission.reason)
        self.start(asker, reject, name=f"reject {request_id}")

    async def open_reject_modal(self, asker: Asker, request_id: str, trigger_id: str) -> None:
        """[Reject]: ask for the reason in a modal (Slack allows 3 s from the click)."""
        request = await self.services.store.call(Store.get_request, request_id)
        await self.client.views_open(
            trigger_id=trigger_id, view=dialogs.render_reject_modal(request).view
        )

    async def launch(self, asker: Asker, request_id: str, override_reason: str | None) -> None:
        launched = await launch_command.launch(
            self.services, request_id, asker.user, override_reason
        )
        await self.refresh_card(launched.request)
        if launched.request.state is RequestState.VOID:
            await self._tell(asker, replies.render_notice(launched.request.note or "Void."))
            return
        await self.announce_launch(launched.request)

    async def announce_launch(self, request: Request) -> None:
        """The "launched" notice, recorded as done (`storage.shown`), so that a restarted bot
        posts it when this one died before it could (`bot.service`)."""
        ts = await self.notifier.launched(request)
        await self.services.store.call(
            record_notice, request.id, "launched", self.services.clock(), ts
        )

    async def cancel(self, asker: Asker, request_id: str) -> None:
        outcome = await cancel_command.cancel(self.services, request_id, asker.user)
        if isinstance(outcome, CancelSent):
            # The run's thread shows the outcome when the engine reports it.
            await self._tell(asker, replies.render_notice(outcome.message))
            return
        await self.refresh_card(outcome)
        await self.notifier.cancelled(outcome)
        await self._tell(asker, replies.render_notice(f"{outcome.id} is cancelled."))

    async def status(self, asker: Asker, command: words.Status) -> None:
        now = self.services.clock()
        if command.request_id is not None:
            one = await status.request_status(self.services, command.request_id)
            await self._tell(asker, replies.render_request_status(one.request, one.runs, now))
        elif command.lpar is not None:
            lpar = await status.lpar_status(self.services, command.lpar)
            await self._tell(
                asker, replies.render_lpar_status(lpar.lpar, lpar.lock, lpar.requests, now)
            )
        else:
            opened = await status.list_open(self.services)
            await self._tell(
                asker,
                replies.render_request_list(opened.requests, opened.locks, opened.freeze, now),
            )

    async def cleanup(self, asker: Asker, run_id: str) -> None:
        """[Clean up] under a failed run, or `/lku cleanup RUN`: `clvupdate` (LKU) or
        `cllvupdate -u` (LLU), for admins."""
        run = await cleanup_command.check(self.services, run_id, asker.user)
        await self._tell(asker, replies.render_notice(f"Cleaning up after {run.id} on {run.lpar}…"))
        outcome = await cleanup_command.cleanup(self.services, run, asker.user)
        await self._tell(asker, replies.render_cleanup(run.lpar, outcome))

    async def check_details(self, asker: Asker, ref: CheckRef) -> None:
        """Evidence… on the card: the command output behind one check, privately."""
        request = await self.services.store.call(Store.get_request, ref.request_id)
        await self._tell(asker, render_check_details(request, ref))

    async def refresh_card(self, request: Request) -> None:
        """Edit the request card in place to show `request` as it is now, and record which
        version of the request it shows (a restarted bot edits the cards left behind)."""
        if request.card is None:
            log.warning("%s has no card to update", request.id)
            return
        card = self._card(request)
        await self.client.chat_update(
            channel=request.card.channel, ts=request.card.ts, **card.as_kwargs()
        )
        await self.services.store.call(record_card_version, request.id, request.version)

    def _card(self, request: Request) -> SlackMessage:
        # A group removed from the inventory since the request opened still gets its card
        # updated (expired, ended): the card says the group is gone and offers no buttons.
        policy = self.services.inventory.groups.get(request.group)
        return render_request_card(request, policy, self.services.clock())

    @staticmethod
    async def _tell(asker: Asker, message: SlackMessage) -> None:
        await asker.tell(message.text, list(message.blocks))
