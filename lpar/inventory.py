"""The inventory: which LPARs lkubot may touch, how to reach them, and who approves what.

One YAML file (`LKUBOT_INVENTORY`, default `lpars.yml`; `lpars.example.yml` documents every
key). It is read once at start-up into an `Inventory`, and a broken file stops the bot with an
`InventoryError` that lists every problem on its own line:

    lpars.yml:14: lpars.lpar01.port: must be a number from 1 to 65535, not "ssh"

Values under `defaults` apply to every LPAR that does not set them itself; a stage list set
on an LPAR replaces the default list for that stage. Relative file paths (`key`,
`known_hosts`) are relative to the inventory file.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from liveupdate.policy import GroupPolicy
from lpar.config_errors import format_line, validation_problems
from lpar.names import (
    GroupName,
    HostName,
    LocalPath,
    LparName,
    ManagedSystemName,
    Port,
    RemotePath,
    Seconds,
    SlackPrincipal,
    StageCommand,
    UnixUser,
)
from lpar.yaml_source import YamlDocument, YamlSourceError

GROUP_PREFIX = "group:"
"""A Slack target that names a group rather than one LPAR: `group:prod`."""


class InventoryError(Exception):
    """The inventory cannot be used; `lines` holds one self-contained sentence per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)


class UnknownTargetError(LookupError):
    """A name typed by a user matches no LPAR or group in the inventory."""


# --- the file as written -------------------------------------------------------------------


class _Written(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StagesSpec(_Written):
    """Stage lists as written; a stage left out inherits the default list."""

    pre: list[StageCommand] | None = None
    prep: list[StageCommand] | None = None
    post: list[StageCommand] | None = None


class LparSettings(_Written):
    """The keys allowed both under `defaults` and on each LPAR; unset means "inherit"."""

    user: UnixUser | None = None
    port: Port | None = None
    key: LocalPath | None = None
    known_hosts: LocalPath | None = None
    lvupdate_data: RemotePath | None = None
    log_dir: RemotePath | None = None
    connect_timeout: Seconds | None = None
    media: RemotePath | None = None
    stages: StagesSpec = Field(default_factory=StagesSpec)


class LparEntry(LparSettings):
    """One LPAR as written under `lpars`."""

    host: HostName
    group: GroupName
    hmc: HostName | None = None
    managed_system: ManagedSystemName


class InventoryFile(_Written):
    """The whole file as written."""

    defaults: LparSettings = Field(default_factory=LparSettings)
    admins: list[SlackPrincipal] = Field(default_factory=list)
    groups: dict[GroupName, GroupPolicy] = Field(min_length=1)
    lpars: dict[LparName, LparEntry] = Field(min_length=1)


BUILTIN_DEFAULTS = LparSettings(
    user="root",
    port=22,
    lvupdate_data="/var/adm/ras/liveupdate/lvupdate.data",
    log_dir="/var/adm/ras/liveupdate/logs",
    connect_timeout=10.0,
    stages=StagesSpec(pre=[], prep=[], post=[]),
)
"""What an LPAR gets when neither it nor `defaults` sets a key (key and known_hosts have no
built-in value: lkubot never guesses which credentials or host keys to trust)."""

# --- the inventory as used -----------------------------------------------------------------


class Stages(BaseModel):
    """The commands of the stages an admin configures, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pre: tuple[StageCommand, ...] = ()
    prep: tuple[StageCommand, ...] = ()
    post: tuple[StageCommand, ...] = ()


class Lpar(BaseModel):
    """One LPAR with the defaults merged in and local paths made absolute."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: LparName
    host: HostName
    port: Port
    user: UnixUser
    key: Path
    known_hosts: Path
    group: GroupName
    hmc: HostName | None
    managed_system: ManagedSystemName
    lvupdate_data: RemotePath
    log_dir: RemotePath
    connect_timeout: Seconds
    media: RemotePath | None
    stages: Stages

    @property
    def address(self) -> str:
        """host:port as an admin would recognise it in messages ([v6]:port for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


class Inventory(BaseModel):
    """The validated inventory; look LPARs up by name, group or managed system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path
    admins: tuple[SlackPrincipal, ...]
    groups: Mapping[GroupName, GroupPolicy]
    lpars: Mapping[LparName, Lpar]

    def lpar(self, name: str) -> Lpar:
        """The LPAR called `name`, or an `UnknownTargetError` that suggests a close name."""
        found = self.lpars.get(name)
        if found is None:
            raise UnknownTargetError(
                f'There is no LPAR "{name}" in {self.path.name}.{_suggest(name, self.lpars)}'
            )
        return found

    def group_members(self, group: str) -> list[Lpar]:
        """The LPARs of `group`, in inventory order."""
        if group not in self.groups:
            raise UnknownTargetError(
                f'There is no group "{group}" in {self.path.name}.{_suggest(group, self.groups)}'
            )
        return [lpar for lpar in self.lpars.values() if lpar.group == group]

    def resolve(self, target: str) -> list[Lpar]:
        """What a user typed as TARGET: an LPAR name, or `group:NAME` for every LPAR in it."""
        if target.startswith(GROUP_PREFIX):
            return self.group_members(target.removeprefix(GROUP_PREFIX))
        return [self.lpar(target)]

    def on_managed_system(self, managed_system: str) -> list[Lpar]:
        """The LPARs that share one managed system (frame), in inventory order."""
        return [lpar for lpar in self.lpars.values() if lpar.managed_system == managed_system]

    def policy(self, lpar: Lpar) -> GroupPolicy:
        """The approval policy of the LPAR's group."""
        return self.groups[lpar.group]


def load_inventory(path: Path) -> Inventory:
    """Read and validate the inventory at `path`, or raise `InventoryError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InventoryError(
            [
                f"{path}: no such file; copy lpars.example.yml to {path} and edit it, "
                "or point LKUBOT_INVENTORY (or --inventory) at your inventory"
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError([f"{path}: cannot read the inventory ({exc})"]) from None
    return parse_inventory(text, path)


def parse_inventory(text: str, path: Path) -> Inventory:
    """Validate inventory `text` as if read from `path` (which anchors relative paths)."""
    label = str(path)
    try:
        doc = YamlDocument(text)
    except YamlSourceError as exc:
        lines = [format_line(label, line, (), sentence) for line, sentence in exc.problems]
        raise InventoryError(lines) from None
    if doc.data is None:
        raise InventoryError([f"{label}:1: the inventory is empty; start from lpars.example.yml"])
    # Group references are checked on the raw data too, so that a file with other mistakes
    # still gets every problem reported in one go.
    problems = _dangling_groups(doc, label)
    try:
        written = InventoryFile.model_validate(doc.data)
    except ValidationError as exc:
        problems += validation_problems(exc, doc, InventoryFile, label)
        raise InventoryError(_by_line(problems)) from None

    base = path.parent.absolute()
    lpars: dict[str, Lpar] = {}
    for name, entry in written.lpars.items():
        for field, sentence in _unresolvable(written, entry):
            place = doc.locate(("lpars", name, field))
            where = (*place.path[:2], field)
            problems.append((place.line, format_line(label, place.line, where, sentence)))
        if not problems:
            lpars[name] = _resolve(name, entry, written.defaults, base)
    if problems:
        raise InventoryError(_by_line(problems))
    return Inventory(
        path=path, admins=tuple(written.admins), groups=dict(written.groups), lpars=lpars
    )


def _dangling_groups(doc: YamlDocument, label: str) -> list[tuple[int, str]]:
    data = doc.data if isinstance(doc.data, dict) else {}
    groups, lpars = data.get("groups"), data.get("lpars")
    known = groups if isinstance(groups, dict) else {}
    problems: list[tuple[int, str]] = []
    for name, entry in (lpars if isinstance(lpars, dict) else {}).items():
        group = entry.get("group") if isinstance(entry, dict) else None
        if isinstance(group, str) and group not in known:
            place = doc.locate(("lpars", name, "group"))
            sentence = (
                f'names the group "{group}", which is not under groups.{_suggest(group, known)}'
            )
            problems.append((place.line, format_line(label, place.line, place.path, sentence)))
    return problems


def _by_line(problems: list[tuple[int, str]]) -> list[str]:
    """The problem lines in file order (a stable sort keeps same-line problems in order)."""
    return [text for _, text in sorted(problems, key=lambda problem: problem[0])]


_NEED_A_VALUE = (
    "user",
    "port",
    "key",
    "known_hosts",
    "lvupdate_data",
    "log_dir",
    "connect_timeout",
)


def _unresolvable(written: InventoryFile, entry: LparEntry) -> list[tuple[str, str]]:
    """Settings that end up without a value once defaults are merged, with a sentence each."""
    problems: list[tuple[str, str]] = []
    for field in _NEED_A_VALUE:
        if getattr(_pick(field, entry, written.defaults), field) is not None:
            continue
        if field in entry.model_fields_set:
            problems.append((field, "must not be empty; remove the line to use the default"))
        else:
            problems.append((field, f"has no value; set `{field}:` on this LPAR or under defaults"))
    return problems


def _pick(field: str, entry: LparSettings, defaults: LparSettings) -> LparSettings:
    """The settings object whose value for `field` applies: the LPAR's if it wrote one."""
    for settings in (entry, defaults):
        if field in settings.model_fields_set:
            return settings
    return BUILTIN_DEFAULTS


def _resolve(name: str, entry: LparEntry, defaults: LparSettings, base: Path) -> Lpar:
    def value(field: str) -> object:
        return getattr(_pick(field, entry, defaults), field)

    def stage(which: str) -> tuple[str, ...]:
        for spec in (entry.stages, defaults.stages):
            commands = getattr(spec, which)
            if commands is not None:
                return tuple(commands)
        return ()

    return Lpar(
        name=name,
        host=entry.host,
        port=value("port"),
        user=value("user"),
        key=_local_path(str(value("key")), base),
        known_hosts=_local_path(str(value("known_hosts")), base),
        group=entry.group,
        hmc=entry.hmc,
        managed_system=entry.managed_system,
        lvupdate_data=value("lvupdate_data"),
        log_dir=value("log_dir"),
        connect_timeout=value("connect_timeout"),
        media=value("media"),
        stages=Stages(pre=stage("pre"), prep=stage("prep"), post=stage("post")),
    )


def _local_path(written: str, base: Path) -> Path:
    path = Path(written).expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def _suggest(name: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    if close:
        return f' Did you mean "{close[0]}"?'
    if len(known) <= 10:
        return f" Known: {', '.join(known)}."
    return ""
