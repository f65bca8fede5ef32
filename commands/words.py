"""The words after `/lku` and `/llu`, parsed into typed commands before anything else happens.

Every word is checked against a strict pattern (`lpar.names`) here, so a bad command gets one
private, specific sentence and changes nothing. Free text (comments, reasons) never reaches a
shell: it is stored and shown, nothing else, and is cut to a sane length.

Import the module and write `words.Approve`, `words.Lock`...: `liveupdate.requests.Approve`,
`liveupdate.runs.Lock` and others share these names, and are what a command becomes once the
rules accept it (tests/test_import_rules.py holds every module to this).
"""

from __future__ import annotations

import html
import re
from difflib import get_close_matches
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from liveupdate.runs import format_run_id
from lpar.names import FILESET_NAME, LPAR_NAME, REMOTE_PATH

Kind = Literal["lku", "llu"]

MAX_TEXT = 500
"""Longest comment or reason kept, in characters: enough for a sentence or two and a ticket."""
MIN_RESOLVE_REASON = 10
"""Closing a run by hand is evidence for auditors: a few words at least, not "ok"."""

_REQUEST_ID = re.compile(r"(?i)LU-([0-9]{1,9})")
_GROUP = re.compile(r"group:(.+)")


class UsageError(ValueError):
    """The words do not form a command; the message says what was wrong and what to type."""


class Target(BaseModel):
    """An LPAR by name, or a group of LPARs rolled out in waves (`group:NAME`)."""

    model_config = ConfigDict(frozen=True)
    name: str
    is_group: bool = False

    def __str__(self) -> str:
        return f"group:{self.name}" if self.is_group else self.name


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Kind


class Help(_Command):
    verb: Literal["help"] = "help"
    topic: str | None = None


class Preview(_Command):
    verb: Literal["preview"] = "preview"
    target: Target
    items: tuple[str, ...] = ()
    """What geninstall installs (LKU): fileset or fix names, `update_all` or `all`."""
    media: str | None = None


class Approve(_Command):
    verb: Literal["approve"] = "approve"
    request_id: str
    comment: str = ""


class Reject(_Command):
    verb: Literal["reject"] = "reject"
    request_id: str
    reason: str


class Launch(_Command):
    verb: Literal["launch"] = "launch"
    request_id: str
    override_reason: str | None = None
    """Break-glass: an admin launches outside a change window or during a freeze."""


class Cancel(_Command):
    verb: Literal["cancel"] = "cancel"
    request_id: str


class Status(_Command):
    verb: Literal["status"] = "status"
    request_id: str | None = None
    lpar: str | None = None


class ListRequests(_Command):
    verb: Literal["list"] = "list"


class History(_Command):
    verb: Literal["history"] = "history"
    lpar: str


class Lock(_Command):
    verb: Literal["lock"] = "lock"
    lpar: str
    reason: str


class Unlock(_Command):
    verb: Literal["unlock"] = "unlock"
    lpar: str


class Freeze(_Command):
    verb: Literal["freeze"] = "freeze"
    on: bool
    reason: str = ""


class Cleanup(_Command):
    verb: Literal["cleanup"] = "cleanup"
    run_id: str


class Resolve(_Command):
    verb: Literal["resolve"] = "resolve"
    run_id: str
    outcome: Literal["succeeded", "failed"]
    reason: str


Command = (
    Help
    | Preview
    | Approve
    | Reject
    | Launch
    | Cancel
    | Status
    | ListRequests
    | History
    | Lock
    | Unlock
    | Freeze
    | Cleanup
    | Resolve
)

USAGE: dict[str, str] = {
    "preview": "preview TARGET [update_all|all|FILESET...] [-d MEDIA]",
    "approve": "approve ID [comment]",
    "reject": "reject ID reason",
    "launch": "launch ID [override REASON]",
    "cancel": "cancel ID",
    "status": "status [ID|LPAR]",
    "list": "list",
    "history": "history LPAR",
    "lock": "lock LPAR reason",
    "unlock": "unlock LPAR",
    "freeze": "freeze on|off [reason]",
    "cleanup": "cleanup RUN",
    "resolve": "resolve RUN succeeded|failed reason",
    "help": "help [VERB]",
}
LLU_USAGE_PREVIEW = "preview TARGET"
VERBS = tuple(USAGE)


def usage(kind: Kind, verb: str) -> str:
    """The one-line form of a verb, as the user types it."""
    form = LLU_USAGE_PREVIEW if (kind == "llu" and verb == "preview") else USAGE[verb]
    return f"/{kind} {form}"


def parse(kind: Kind, text: str) -> Command:
    """Turn the text Slack sends after `/lku` or `/llu` into a command, or raise UsageError."""
    words = html.unescape(text).split()
    if not words:
        return Help(kind=kind)
    verb, args = words[0].lower(), words[1:]
    if verb not in USAGE:
        near = get_close_matches(verb, VERBS, n=1)
        hint = f" Did you mean `{near[0]}`?" if near else ""
        raise UsageError(
            f"`{_show(words[0])}` is not something /{kind} does.{hint} Try `/{kind} help`."
        )
    if verb == "help" and len(args) > 1:
        raise UsageError(f"Usage: `{usage(kind, 'help')}`")
    if len(args) > 1 and args[0].lower() == "help" and verb != "help":
        return Help(kind=kind, topic=verb)
    if args == ["help"]:
        return Help(kind=kind, topic=verb)
    return _PARSERS[verb](kind, args)


def _parse_help(kind: Kind, args: list[str]) -> Command:
    topic = args[0].lower() if args else None
    if topic is not None and topic not in USAGE:
        raise UsageError(f"There is no `/{kind} {_show(topic)}`; `/{kind} help` lists them all.")
    return Help(kind=kind, topic=topic)


def _parse_preview(kind: Kind, args: list[str]) -> Command:
    if not args:
        raise UsageError(f"Which LPAR? Usage: `{usage(kind, 'preview')}`")
    target = parse_target(args[0])
    rest = args[1:]
    if kind == "llu":
        if rest:
            raise UsageError(
                "A live library update takes no filesets or media; it moves running processes "
                f"to libraries already installed. Usage: `{usage(kind, 'preview')}`"
            )
        return Preview(kind=kind, target=target)
    media: str | None = None
    items: list[str] = []
    i = 0
    while i < len(rest):
        word = rest[i]
        if word == "-d":
            if i + 1 >= len(rest):
                raise UsageError(
                    "`-d` needs the media directory or device after it, e.g. `-d /mnt`."
                )
            if media is not None:
                raise UsageError("Give `-d MEDIA` once.")
            media = _check(REMOTE_PATH, rest[i + 1], "media")
            i += 2
            continue
        if word.startswith("-"):
            raise UsageError(
                f"`{_show(word)}` is not an option of preview; the only one is `-d MEDIA`."
            )
        items.append(_check(FILESET_NAME, word, "install item"))
        i += 1
    if len(set(items)) != len(items):
        raise UsageError("Each fileset or fix once, please.")
    if {"update_all", "all"} & set(items) and len(items) > 1:
        raise UsageError("`update_all` and `all` stand alone: give one of them, or a fileset list.")
    return Preview(kind=kind, target=target, items=tuple(items), media=media)


def _parse_approve(kind: Kind, args: list[str]) -> Command:
    if not args:
        raise UsageError(f"Which request? Usage: `{usage(kind, 'approve')}`")
    return Approve(kind=kind, request_id=parse_request_id(args[0]), comment=_free_text(args[1:]))


def _parse_reject(kind: Kind, args: list[str]) -> Command:
    if len(args) < 2:
        raise UsageError(f"Say why, so the requester can fix it. Usage: `{usage(kind, 'reject')}`")
    return Reject(kind=kind, request_id=parse_request_id(args[0]), reason=_free_text(args[1:]))


def _parse_launch(kind: Kind, args: list[str]) -> Command:
    if not args:
        raise UsageError(f"Which request? Usage: `{usage(kind, 'launch')}`")
    request_id = parse_request_id(args[0])
    rest = args[1:]
    if not rest:
        return Launch(kind=kind, request_id=request_id)
    # The refusals say `override REASON`; `--override` is accepted as people type options.
    if rest[0].lower() not in ("override", "--override"):
        raise UsageError(f"Usage: `{usage(kind, 'launch')}`")
    reason = _free_text(rest[1:])
    if not reason:
        raise UsageError("An override needs a reason; it is recorded and announced.")
    return Launch(kind=kind, request_id=request_id, override_reason=reason)


def _parse_cancel(kind: Kind, args: list[str]) -> Command:
    if len(args) != 1:
        raise UsageError(f"Usage: `{usage(kind, 'cancel')}`")
    return Cancel(kind=kind, request_id=parse_request_id(args[0]))


def _parse_status(kind: Kind, args: list[str]) -> Command:
    if not args:
        return Status(kind=kind)
    if len(args) > 1:
        raise UsageError(f"Usage: `{usage(kind, 'status')}`")
    if _REQUEST_ID.fullmatch(args[0]):
        return Status(kind=kind, request_id=parse_request_id(args[0]))
    return Status(kind=kind, lpar=_check(LPAR_NAME, args[0], "LPAR name"))


def _parse_list(kind: Kind, args: list[str]) -> Command:
    if args:
        raise UsageError(f"`/{kind} list` takes no more words.")
    return ListRequests(kind=kind)


def _parse_history(kind: Kind, args: list[str]) -> Command:
    if len(args) != 1:
        raise UsageError(f"Usage: `{usage(kind, 'history')}`")
    return History(kind=kind, lpar=_check(LPAR_NAME, args[0], "LPAR name"))


def _parse_lock(kind: Kind, args: list[str]) -> Command:
    if len(args) < 2:
        raise UsageError(f"Say why it is locked. Usage: `{usage(kind, 'lock')}`")
    return Lock(
        kind=kind, lpar=_check(LPAR_NAME, args[0], "LPAR name"), reason=_free_text(args[1:])
    )


def _parse_unlock(kind: Kind, args: list[str]) -> Command:
    if len(args) != 1:
        raise UsageError(f"Usage: `{usage(kind, 'unlock')}`")
    return Unlock(kind=kind, lpar=_check(LPAR_NAME, args[0], "LPAR name"))


def _parse_freeze(kind: Kind, args: list[str]) -> Command:
    if not args or args[0].lower() not in ("on", "off"):
        raise UsageError(f"Usage: `{usage(kind, 'freeze')}`")
    on = args[0].lower() == "on"
    reason = _free_text(args[1:])
    if on and not reason:
        raise UsageError("Say why everything is frozen; the reason is announced.")
    return Freeze(kind=kind, on=on, reason=reason)


def _parse_cleanup(kind: Kind, args: list[str]) -> Command:
    if len(args) != 1:
        raise UsageError(f"Which run? Usage: `{usage(kind, 'cleanup')}`")
    return Cleanup(kind=kind, run_id=format_run_id(*parse_run_id(args[0])))


def _parse_resolve(kind: Kind, args: list[str]) -> Command:
    if len(args) < 2 or args[1].lower() not in ("succeeded", "failed"):
        raise UsageError(f"Usage: `{usage(kind, 'resolve')}`")
    run_id = format_run_id(*parse_run_id(args[0]))
    reason = _free_text(args[2:])
    if len(reason) < MIN_RESOLVE_REASON:
        raise UsageError(
            "Say what you found on the LPAR, in a few words: the reason is recorded and "
            "announced with the run's end."
        )
    outcome: Literal["succeeded", "failed"] = (
        "succeeded" if args[1].lower() == "succeeded" else "failed"
    )
    return Resolve(kind=kind, run_id=run_id, outcome=outcome, reason=reason)


_PARSERS = {
    "help": _parse_help,
    "preview": _parse_preview,
    "approve": _parse_approve,
    "reject": _parse_reject,
    "launch": _parse_launch,
    "cancel": _parse_cancel,
    "status": _parse_status,
    "list": _parse_list,
    "history": _parse_history,
    "lock": _parse_lock,
    "unlock": _parse_unlock,
    "freeze": _parse_freeze,
    "cleanup": _parse_cleanup,
    "resolve": _parse_resolve,
}


def parse_target(word: str) -> Target:
    """`lpar01` or `group:prod`."""
    group = _GROUP.fullmatch(word)
    if group:
        return Target(name=_check(LPAR_NAME, group.group(1), "group name"), is_group=True)
    return Target(name=_check(LPAR_NAME, word, "LPAR name"))


_RUN_ID = re.compile(r"(?i)(LU-[0-9]{1,9})-([0-9]{1,4})")


def parse_run_id(word: str) -> tuple[str, int]:
    """`LU-17-1` -> (`LU-17`, 1): a request id and the run's number within it."""
    match = _RUN_ID.fullmatch(word)
    if not match:
        raise UsageError(f"`{_show(word)}` is not a run id; they look like `LU-17-1`.")
    return parse_request_id(match.group(1)), int(match.group(2))


def parse_request_id(word: str) -> str:
    """`LU-17` (any case) -> `LU-17`."""
    match = _REQUEST_ID.fullmatch(word)
    if not match:
        raise UsageError(f"`{_show(word)}` is not a request id; they look like `LU-17`.")
    return f"LU-{int(match.group(1))}"


def _check(adapter: TypeAdapter[str], word: str, what: str) -> str:
    try:
        return adapter.validate_python(word)
    except ValidationError as error:
        detail = error.errors()[0]["msg"]
        raise UsageError(f"`{_show(word)}` is not a valid {what}: {detail}.") from None


def _free_text(words: list[str]) -> str:
    text = " ".join(words)
    text = "".join(c for c in text if c.isprintable())
    return text[:MAX_TEXT]


def _show(word: str) -> str:
    """A word echoed back in an error: shortened, with backticks removed so it cannot break out."""
    clean = "".join(c for c in word if c.isprintable() and c != "`")
    return clean if len(clean) <= 40 else clean[:39] + "…"
