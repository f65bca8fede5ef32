"""How requests and runs are laid out in their tables: model -> row and back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from liveupdate.checks import PreviewResult
from liveupdate.requests import Override, Request, SlackLocation, Vote
from liveupdate.runs import Run
from storage.audit import canonical_json, to_text


def opt_time(moment: datetime | None) -> str | None:
    return to_text(moment) if moment is not None else None


def single_lpar(request: Request) -> str | None:
    """The LPAR an audit row of `request` names: its only one, or none for a group."""
    return request.lpars[0] if len(request.lpars) == 1 else None


def request_row(request: Request) -> dict[str, Any]:
    return {
        "id": request.id,
        "number": int(request.id.removeprefix("LU-")),
        "kind": request.kind.value,
        "target": request.target,
        "grp": request.group,
        "requester": request.requester,
        "created_at": to_text(request.created_at),
        "state": request.state.value,
        "fingerprint": request.fingerprint,
        "expires_at": to_text(request.expires_at),
        "card_channel": request.card.channel if request.card else None,
        "card_ts": request.card.ts if request.card else None,
        "override": canonical_json(request.override.model_dump(mode="json"))
        if request.override
        else None,
        "launched_by": request.launched_by,
        "launched_at": opt_time(request.launched_at),
        "ended_at": opt_time(request.ended_at),
        "note": request.note,
        "version": request.version,
    }


def request_from_row(
    row: Mapping[str, Any], previews: tuple[PreviewResult, ...], votes: tuple[Vote, ...]
) -> Request:
    card = (
        SlackLocation(channel=row["card_channel"], ts=row["card_ts"])
        if row["card_channel"]
        else None
    )
    override = Override.model_validate(json.loads(row["override"])) if row["override"] else None
    return Request(
        id=row["id"],
        kind=row["kind"],
        target=row["target"],
        group=row["grp"],
        requester=row["requester"],
        created_at=row["created_at"],
        previews=previews,
        fingerprint=row["fingerprint"],
        state=row["state"],
        votes=votes,
        expires_at=row["expires_at"],
        card=card,
        override=override,
        launched_by=row["launched_by"],
        launched_at=row["launched_at"],
        ended_at=row["ended_at"],
        note=row["note"],
        version=row["version"],
    )


def run_row(run: Run) -> dict[str, Any]:
    row = run.model_dump(mode="json")
    row["started_at"] = to_text(run.started_at)
    row["ended_at"] = opt_time(run.ended_at)
    row["point_of_no_return"] = int(run.point_of_no_return)
    return row


def run_from_row(row: Mapping[str, Any]) -> Run:
    return Run.model_validate({**row, "point_of_no_return": bool(row["point_of_no_return"])})
