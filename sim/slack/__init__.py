"""A local Slack for lkubot's tests and demo: the Web API, Socket Mode, response URLs, and a
driver that acts as the workspace's users.

    async with SlackEmulator.start(EmulatorConfig(speed=60), events_url=None) as slack:
        client = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
        ...start the bot against slack.api_url (Socket Mode) or set slack.events_url (HTTP)...
        await slack.slash("carol", "#aix-team", "/lku", "preview lpar01")
        card = await slack.wait_for_message("aix-team", lambda m: "LU-" in m.content)
        await slack.click("alice", card, "approve")
        view = await slack.wait_for_view("bob")
        await slack.submit_view("bob", view.id, {"reason": "not tonight"})

The handle (`SlackEmulator`):
- `api_url` (for `AsyncWebClient(base_url=...)`), `events_url` (settable: the bot's
  `/slack/events`; None delivers over Socket Mode), `credentials`, `config`.
- `state` (`Workspace`): users, usergroups, channels, `channel_messages(ch)`, `thread(ch, ts)`,
  `ephemerals_for(user)`, `open_views(user)`, `files`, every message's edit `history`, and
  `feed` (a change per mutation, for live pages).
- `calls` (every Web API call with its answer; `calls_to(method)`), `responses` (posts to
  response URLs), `deliveries` (what was sent to the bot and how it was acked).
  `with slack.watching_calls(callback):` calls `callback(call)` once Slack has acted on a
  call and before its answer leaves (to kill a bot in exactly that window).
- Users acting: `slash(user, channel, command, text)`, `click(user, message|ts|view, action_id,
  value=None)`, `submit_view(user, view_id, values)`, `close_view(user, view_id)`; each returns
  a `Delivery` and takes `DeliveryOptions` (via http/socket, forged or missing signature, stale
  timestamp, Slack retry headers); `deliver(delivery.interaction, options)` sends one again.
- Faults: `inject_rate_limit(method, seconds)`, `inject_error(method, error, count)`,
  `disconnect_socket()`.
- Waiting without sleeping: `wait_for(probe)`, `wait_for_message(channel, predicate,
  thread_ts=...)`, `wait_for_ephemeral(user, predicate)`, `wait_for_view(user, predicate)`,
  `wait_for_socket()`; each raises `WaitTimeout` saying what it saw.

Slack's rate limits run on a clock `EmulatorConfig.speed` times faster than real time; the
deadlines a bot must meet in real time (3 s ack, 3 s trigger) do not scale.
`python -m sim.slack --help` serves it standalone.
"""

from sim.slack.config import Credentials, EmulatorConfig, RateLimit
from sim.slack.driver import Delivery, DeliveryOptions
from sim.slack.emulator import SlackEmulator
from sim.slack.errors import EmulatorError, WaitTimeout
from sim.slack.payloads import Interaction
from sim.slack.webapi import Call
from sim.slack.workspace import Ephemeral, Message, OpenView, Workspace

__all__ = [
    "Call",
    "Credentials",
    "Delivery",
    "DeliveryOptions",
    "EmulatorConfig",
    "EmulatorError",
    "Ephemeral",
    "Interaction",
    "Message",
    "OpenView",
    "RateLimit",
    "SlackEmulator",
    "WaitTimeout",
    "Workspace",
]
