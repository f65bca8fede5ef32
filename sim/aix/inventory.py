"""What the fleet writes for its clients: the inventory (the format of lpars.example.yml),
known_hosts with one `[127.0.0.1]:PORT` line per LPAR, and the client key pair."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import yaml

from sim.aix.state import LVUPDATE_DATA_PATH, LparState

KEY_FILE = "keys/lkubot_ed25519"
KNOWN_HOSTS_FILE = "known_hosts"
INVENTORY_FILE = "lpars.yml"
LOG_DIR = "/var/adm/ras/liveupdate/logs"


@dataclass(frozen=True)
class Policy:
    """Who approves and administers, and where notices go: the same for both groups."""

    approvers: tuple[str, ...]
    admins: tuple[str, ...]
    channel: str


@dataclass(frozen=True)
class Endpoint:
    state: LparState
    port: int
    host_key: asyncssh.SSHKey


def write_client_key(out_dir: Path, key: asyncssh.SSHKey) -> Path:
    path = out_dir / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    # Create it private from the start: OpenSSH refuses a key others can read.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.export_private_key("openssh"))
    os.chmod(path, 0o600)
    path.with_suffix(".pub").write_bytes(key.export_public_key("openssh"))
    return path


def write_known_hosts(out_dir: Path, endpoints: Sequence[Endpoint]) -> Path:
    path = out_dir / KNOWN_HOSTS_FILE
    lines = []
    for endpoint in endpoints:
        algorithm, blob = endpoint.host_key.export_public_key("openssh").decode().split()[:2]
        lines.append(f"[127.0.0.1]:{endpoint.port} {algorithm} {blob}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _group(policy: Policy, approvals: int, ttl: str) -> dict[str, Any]:
    # A quorum the approvers can reach: a user group (S...) may have any number of members.
    reachable = len(policy.approvers) + sum(a.startswith("S") for a in policy.approvers) * 99
    return {
        "channel": policy.channel,
        "approvals_required": min(approvals, reachable),
        "approvers": list(policy.approvers),
        "admins": [],
        "approval_ttl": ttl,
        "change_windows": [],
    }


def _lpar_entry(endpoint: Endpoint) -> dict[str, Any]:
    placement = endpoint.state.placement
    entry: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": endpoint.port,
        "group": placement.group,
        "hmc": placement.hmc,
        "managed_system": placement.managed_system,
        "media": placement.media,
    }
    stages = placement.stages.model_dump(exclude_defaults=True)
    if stages:
        entry["stages"] = stages
    return entry


def render_inventory(endpoints: Sequence[Endpoint], policy: Policy) -> str:
    document = {
        "defaults": {
            "user": "root",
            "key": KEY_FILE,
            "known_hosts": KNOWN_HOSTS_FILE,
            "lvupdate_data": LVUPDATE_DATA_PATH,
            "log_dir": LOG_DIR,
            "connect_timeout": 10,
        },
        "admins": list(policy.admins),
        "groups": {
            "prod": _group(policy, approvals=2, ttl="4h"),
            "test": _group(policy, approvals=1, ttl="24h"),
        },
        "lpars": {e.state.name: _lpar_entry(e) for e in endpoints},
    }
    header = (
        f"# lkubot inventory written by `lkubot sim`: {len(endpoints)} simulated LPARs on "
        "127.0.0.1.\n# Paths are relative to this file. Change windows are empty so that a "
        "launch is allowed at any time.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def write_inventory(out_dir: Path, endpoints: Sequence[Endpoint], policy: Policy) -> Path:
    path = out_dir / INVENTORY_FILE
    path.write_text(render_inventory(endpoints, policy), encoding="utf-8")
    return path
