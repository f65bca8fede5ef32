"""A world where lkubot can die: the simulated LPARs and the Slack emulator in this process,
lkubot in its own (`lkubot run --http`), killed with SIGKILL at a chosen moment and started
again on the same database, as systemd's `Restart=on-failure` would.

Moments are chosen from the outside world's own records, never from sleeps: a `Tripwire`
kills the bot from inside the simulator's callback for a command an LPAR receives, or the
emulator's callback for a Web API call Slack has acted on (before its answer leaves), or at
a line the operation writes to its log on the LPAR.

    async with chaos_world(tmp_path, speed=120) as w:
        card = await w.approved_request("lpar001")
        async with w.tripwire_on_command("lpar001", lambda c: c.operation is not None) as wire:
            await w.launch(card)
            await wire.fired(within=WITHIN)
        await w.restart_bot()
        await w.settled(card)
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.views.request_card import STATE_LABELS
from liveupdate.requests import RequestState
from sim.aix import CommandRecord, Fleet, Scenario
from sim.slack import Call, EmulatorConfig, Message, SlackEmulator, WaitTimeout
from storage.run_messages import run_messages
from storage.shown import notice_done
from storage.store import Store
from tests.resilience.bot_process import BotProcess, clean_env

CHANNEL = "aix-team"
NOTICES = "prod-ops"
"""`lkubot sim` gives both groups the notification channel C0PRODOPS (#prod-ops)."""
SLACK_SPEED = 60.0
"""Slack's rate-limit clock: a minute of 429s lasts one second."""
WITHIN = 60.0
"""Seconds any one wait may take before it fails saying what it saw."""
RECORD_POLL = 0.02
"""Seconds between looks into the database for what the bot is about to save."""
PREP = "stopsrc -s pfcdaemon"
POST = "startsrc -s pfcdaemon"
TERMINAL = {
    RequestState.SUCCEEDED,
    RequestState.FAILED,
    RequestState.CANCELLED,
}
_REQUEST_ID = re.compile(r"\b(LU-\d+)\b")


def scenario(lpars: list[str]) -> Scenario:
    """Every LPAR in the one-approval test group, stopping a daemon in prep and starting it
    again in post, so that both stages have a command in flight to be killed in."""
    placement = {"placement": {"group": "test", "stages": {"prep": [PREP], "post": [POST]}}}
    return Scenario(lpars={name: placement for name in lpars})


class Tripwire:
    """Acts the first time a record matches (by default: kills the bot); `fired` says when
    and at what."""

    def __init__(self, world: ChaosWorld, what: str, act: Callable[[], None] | None) -> None:
        self.world = world
        self.what = what
        self.act = act or world.kill_bot
        self.at: str | None = None
        self._fired = asyncio.Event()

    def trip(self, detail: str) -> None:
        if self._fired.is_set():
            return
        self.act()
        self.at = detail
        self._fired.set()

    async def fired(self, within: float = WITHIN) -> str:
        try:
            await asyncio.wait_for(self._fired.wait(), timeout=within)
        except TimeoutError:
            raise WaitTimeout(f"Waited {within:g} s for the moment: {self.what}.") from None
        assert self.at is not None
        return self.at


@dataclass
class Card:
    """A request's card in #aix-team."""

    request_id: str
    lpar: str
    ts: str


@dataclass
class ChaosWorld:
    fleet: Fleet
    slack: SlackEmulator
    db: Path
    env: dict[str, str]
    out: Path
    bot: BotProcess | None = None
    starts: int = 0
    kills: int = 0
    kill_times: list[float] = field(default_factory=list)
    """Wall-clock time of each kill, to compare with Slack's message ts."""
    bots: list[BotProcess] = field(default_factory=list)

    # --- the bot's life ------------------------------------------------------------------

    async def start_bot(self) -> BotProcess:
        self.starts += 1
        bot = await BotProcess.start(self.env, log_path=self.out / f"bot-{self.starts}.log")
        self.bot = bot
        self.bots.append(bot)
        self.slack.events_url = bot.events_url
        return bot

    def kill_bot(self) -> None:
        """SIGKILL now (synchronous: safe inside a simulator's callback)."""
        if self.bot is not None and self.bot.running:
            self.bot.kill()
            self.kills += 1
            self.kill_times.append(time.time())

    async def restart_bot(self) -> BotProcess:
        """Wait for the killed bot to be gone, then start a new one on the same database."""
        if self.bot is not None:
            self.kill_bot()
            await self.bot.exited()
        return await self.start_bot()

    async def stop_bot(self) -> int:
        if self.bot is None:
            return 0
        code = await self.bot.stop()
        self.slack.events_url = None
        return code

    # --- moments to die at -----------------------------------------------------------------

    @asynccontextmanager
    async def tripwire_on_command(
        self,
        lpar: str,
        predicate: Callable[[CommandRecord], bool],
        what: str = "a command",
        act: Callable[[], None] | None = None,
    ) -> AsyncIterator[Tripwire]:
        """Kill the bot (or `act`) when `lpar` receives a matching command, before it runs."""
        wire = Tripwire(self, what, act)

        def watch(record: CommandRecord) -> None:
            if predicate(record):
                wire.trip(f"{lpar} received `{record.command}`")

        with self.fleet.lpar(lpar).watching_commands(watch):
            yield wire

    @asynccontextmanager
    async def tripwire_on_call(
        self,
        predicate: Callable[[Call], bool],
        what: str = "a Slack call",
        act: Callable[[], None] | None = None,
    ) -> AsyncIterator[Tripwire]:
        """Kill the bot (or `act`) when Slack has answered a matching call (429s included),
        before the answer reaches the bot."""
        wire = Tripwire(self, what, act)

        def watch(call: Call) -> None:
            if predicate(call):
                text = str(call.args.get("text", ""))[:60]
                wire.trip(f"Slack answered {call.method} with {call.status} ({text})")

        with self.slack.watching_calls(watch):
            yield wire

    @asynccontextmanager
    async def tripwire_on_log(
        self,
        lpar: str,
        request_id: str,
        predicate: Callable[[str], bool],
        what: str,
        act: Callable[[], None] | None = None,
    ) -> AsyncIterator[Tripwire]:
        """Kill the bot (or `act`) when the operation of `request_id` writes a matching line
        to its log on `lpar` (in the same turn of the loop that wrote it)."""
        wire = Tripwire(self, what, act)
        lpar_sim = self.fleet.lpar(lpar)
        suffix = f"lkubot-{request_id}-1.log"
        started = asyncio.Event()

        def on_start(record: CommandRecord) -> None:
            if record.operation is not None and suffix in record.command:
                started.set()

        async def watch() -> None:
            await started.wait()
            seen = 0
            while True:
                log = next((f for p, f in lpar_sim.logs.items() if p.endswith(suffix)), None)
                if log is None:
                    await asyncio.sleep(0)  # the start was received; the file comes next
                    continue
                grown = asyncio.ensure_future(log.grown())
                for line in log.lines[seen:]:
                    if predicate(line):
                        grown.cancel()
                        wire.trip(f"{lpar} logged {line!r}")
                        return
                seen = len(log.lines)
                await grown

        with lpar_sim.watching_commands(on_start):
            watcher = asyncio.get_running_loop().create_task(watch(), name=f"tripwire {what}")
            try:
                yield wire
            finally:
                watcher.cancel()

    # --- people in Slack -------------------------------------------------------------------

    async def approved_request(self, lpar: str, *, requester: str = "carol") -> Card:
        """Preview `lpar` and approve it (the test group needs one approval) until [Launch]."""
        await self.slack.slash(requester, CHANNEL, "/lku", f"preview {lpar}")
        card = await self.slack.wait_for_message(
            CHANNEL,
            lambda m: m.thread_ts in (None, m.ts) and f"Live Kernel Update on {lpar}" in m.content,
            within=WITHIN,
        )
        found = _REQUEST_ID.search(card.content)
        assert found is not None, card.content
        request_id = found.group(1)
        await self.slack.click("alice", card, "approve", value=request_id)
        await self.slack.wait_for(
            lambda: "launch" in actions(self.slack.state.find_message(card.ts)),
            within=WITHIN,
            what=f"[Launch] on the card of {request_id}",
        )
        return Card(request_id=request_id, lpar=lpar, ts=card.ts)

    async def launch(self, card: Card, *, user: str = "carol") -> None:
        """[Launch] on the card (the confirm dialog is Slack's: the click arrives confirmed)."""
        await self.slack.click(user, card.ts, "launch", value=card.request_id)

    # --- the end -----------------------------------------------------------------------------

    def request_state(self, request_id: str) -> RequestState:
        with Store.open(self.db) as store:
            return store.get_request(request_id).state

    def ended_shown(self, card: Card) -> bool:
        """The run's end is everywhere it should be: the card shows a final state, the thread
        has a summary, and #prod-ops the notice of the end."""
        shown = self.slack.state.find_message(card.ts).content
        if not any(STATE_LABELS[state] in shown for state in TERMINAL):
            return False
        if not any(is_summary(m, card) for m in self.thread(card)):
            return False
        return any(is_end_notice(m, card) for m in self.notices(card))

    def unknown_shown(self, card: Card) -> bool:
        """The card shows the run out of contact (a start in doubt: see `invariants`) and the
        thread has its status message."""
        shown = self.slack.state.find_message(card.ts).content
        if STATE_LABELS[RequestState.UNKNOWN] not in shown:
            return False
        return any(is_status(m, card) for m in self.thread(card))

    async def settled(self, card: Card, within: float = WITHIN) -> bool:
        """Until the run's end is shown everywhere (or the card shows it unknown); False when
        not within `within` seconds (then `invariants.violations` says what is missing)."""
        try:
            await self.slack.wait_for(
                lambda: self.ended_shown(card) or self.unknown_shown(card), within=within
            )
        except WaitTimeout:
            return False
        return await self._last_act_saved(card, within)

    async def until_step(self, run_id: str, step: str, within: float = WITHIN) -> None:
        """Until the bot has saved a `step` in the run's journal (e.g. "operation_sent")."""
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            with Store.open(self.db) as store:
                if any(s.type == step for s in store.run_steps(run_id)):
                    return
            await asyncio.sleep(RECORD_POLL)
        raise WaitTimeout(f"Waited {within:g} s for {run_id} to save {step}.")

    async def _last_act_saved(self, card: Card, within: float) -> bool:
        """What the bot did last for the run is saved too (its end notice; for a run left
        unknown its status message): a stop between Slack's post and that save would post
        it again at the next start."""
        run_id = f"{card.request_id}-1"
        unknown = not self.ended_shown(card)
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            with Store.open(self.db) as store:
                if unknown:
                    places = run_messages(store, run_id)
                    if places is not None and places.status_ts is not None:
                        return True
                elif notice_done(store, run_id, "ended"):
                    return True
            await asyncio.sleep(RECORD_POLL)
        return False

    def thread(self, card: Card) -> list[Message]:
        return self.slack.state.thread(CHANNEL, card.ts)

    def notices(self, card: Card) -> list[Message]:
        return [
            m
            for m in self.slack.state.channel_messages(NOTICES)
            if f"*{card.request_id}*" in m.text
        ]


def actions(message: Message) -> set[str]:
    """The action ids of the interactive elements a message shows."""
    found: set[str] = set()
    for block in message.blocks:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        found.update(e["action_id"] for e in elements if isinstance(e, dict) and "action_id" in e)
    return found


def is_status(message: Message, card: Card) -> bool:
    """The run's status message (`bot.views.run_status.status_text`: "LU-1 on lpar001: ...")."""
    return message.text.startswith(f"{card.request_id} on {card.lpar}: ")


def is_summary(message: Message, card: Card) -> bool:
    """The final summary ("LU-1 on lpar001 succeeded after 6 s, blackout 21 s")."""
    head = f"{card.request_id} on {card.lpar} "
    return message.text.startswith(head) and not is_status(message, card)


def is_end_notice(message: Message, card: Card) -> bool:
    return any(
        message.text.startswith(f"{mark} *{card.request_id}*")
        for mark in (":tada:", ":x:", ":black_square_for_stop:")
    )


@asynccontextmanager
async def chaos_world(
    tmp_path: Path,
    *,
    lpars: int = 1,
    speed: float = 120.0,
    slack_speed: float = SLACK_SPEED,
    faults: dict[str, object] | None = None,
) -> AsyncIterator[ChaosWorld]:
    """`lpars` simulated LPARs at `speed` (see `scenario`; `faults` for every LPAR, in the
    scenario's form), the Slack emulator, and lkubot started as its own process."""
    names = [f"lpar{n:03d}" for n in range(1, lpars + 1)]
    world_scenario = scenario(names)
    if faults:
        world_scenario.defaults["faults"] = faults
    async with (
        Fleet.start(
            lpars, out_dir=tmp_path / "fleet", speed=speed, scenario=world_scenario
        ) as fleet,
        SlackEmulator.start(EmulatorConfig(speed=slack_speed)) as slack,
    ):
        db = tmp_path / "lkubot.db"
        env = clean_env(
            SLACK_BOT_TOKEN=slack.credentials.bot_token,
            SLACK_SIGNING_SECRET=slack.credentials.signing_secret,
            LKUBOT_SLACK_API_URL=slack.api_url,
            LKUBOT_INVENTORY=str(fleet.inventory_path),
            LKUBOT_DB=str(db),
            LKUBOT_LOG_LEVEL="INFO",
        )
        world = ChaosWorld(fleet=fleet, slack=slack, db=db, env=env, out=tmp_path)
        try:
            await world.start_bot()
            yield world
        finally:
            for bot in world.bots:
                if bot.running:
                    await bot.stop()
