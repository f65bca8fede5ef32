"""`/lku status [ID|LPAR]`, `/lku list`, `/lku history LPAR`: where things stand.

All of them read storage only (no SSH, no Slack), so they answer in milliseconds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from commands.services import Services
from liveupdate.policy import Freeze
from liveupdate.requests import Request, RequestState
from liveupdate.runs import Lock, Run
from storage.reports import HistoryEntry, history
from storage.store import Store

OPEN_STATES = (
    RequestState.PENDING,
    RequestState.APPROVED,
    RequestState.RUNNING,
    RequestState.UNKNOWN,
)
LIST_LIMIT = 20
"""Requests shown by `list`: a screenful; older ones are in `history`."""
LPAR_LIMIT = 5
HISTORY_LIMIT = 10


class OpenRequests(BaseModel):
    """`/lku list` (and `/lku status` alone): open requests, newest first, locks, freeze."""

    model_config = ConfigDict(frozen=True)

    requests: tuple[Request, ...]
    locks: tuple[Lock, ...]
    freeze: Freeze


class RequestStatus(BaseModel):
    """`/lku status LU-17`: the request with the runs it started."""

    model_config = ConfigDict(frozen=True)

    request: Request
    runs: tuple[Run, ...]


class LparStatus(BaseModel):
    """`/lku status lpar01`: who holds it, and its latest requests."""

    model_config = ConfigDict(frozen=True)

    lpar: str
    lock: Lock | None
    requests: tuple[Request, ...]


class LparHistory(BaseModel):
    model_config = ConfigDict(frozen=True)

    lpar: str
    entries: tuple[HistoryEntry, ...]


async def list_open(services: Services) -> OpenRequests:
    requests = await services.store.call(Store.list_requests, states=OPEN_STATES, limit=LIST_LIMIT)
    return OpenRequests(
        requests=tuple(requests),
        locks=tuple(await services.store.call(Store.locks)),
        freeze=await services.store.call(Store.freeze),
    )


async def request_status(services: Services, request_id: str) -> RequestStatus:
    request = await services.store.call(Store.get_request, request_id)
    runs = await services.store.call(Store.runs_of, request.id)
    return RequestStatus(request=request, runs=tuple(runs))


async def lpar_status(services: Services, lpar: str) -> LparStatus:
    services.inventory.lpar(lpar)  # an unknown name is told, with a suggestion
    entries = await services.store.call(history, lpar, limit=LPAR_LIMIT)
    requests = [await services.store.call(Store.get_request, e.request_id) for e in entries]
    lock = next((k for k in await services.store.call(Store.locks) if k.lpar == lpar), None)
    return LparStatus(lpar=lpar, lock=lock, requests=tuple(requests))


async def lpar_history(services: Services, lpar: str) -> LparHistory:
    services.inventory.lpar(lpar)
    entries = await services.store.call(history, lpar, limit=HISTORY_LIMIT)
    return LparHistory(lpar=lpar, entries=tuple(entries))
