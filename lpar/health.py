"""Can lkubot reach each LPAR, and is it ready for a live update? What `lkubot inventory check`
reports: a verified SSH login, the AIX level, and the HMC token that `geninstall -k` needs.

An LPAR *fails* the check when lkubot cannot log in or cannot read its level; a missing or
mismatched HMC token is a *warning*: the LPAR is reachable, but a live update would stop with
1430-246 until an admin runs `hmcauth` there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict

from liveupdate.hmcauth import HmcToken, parse_hmcauth
from liveupdate.oslevel import parse_oslevel
from lpar import remote
from lpar.inventory import Lpar
from lpar.ssh import CommandResult, Connections, SshError

COMMAND_TIME_LIMIT = 30.0
"""Seconds each check command may take; both print a few lines on a healthy LPAR."""


class LparHealth(BaseModel):
    """The outcome of checking one LPAR."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lpar: str
    address: str
    oslevel: str | None = None
    hmc_token: HmcToken | None = None
    """The first token `hmcauth -l` lists; None when there is none (or it was not read)."""
    failure: str | None = None
    """Why the LPAR failed the check, as a sentence that says what to do."""
    warnings: tuple[str, ...] = ()
    seconds: float

    @property
    def ok(self) -> bool:
        return self.failure is None


async def check_lpar(
    ssh: Connections, lpar: Lpar, *, clock: Callable[[], float] = time.monotonic
) -> LparHealth:
    """Log in to `lpar` (verifying its host key) and read its level and HMC token."""
    started = clock()

    def outcome(**found: object) -> LparHealth:
        return LparHealth.model_validate(
            {"lpar": lpar.name, "address": lpar.address, "seconds": clock() - started, **found}
        )

    try:
        level = await ssh.run(lpar, remote.oslevel(), time_limit=COMMAND_TIME_LIMIT)
        hmcauth = await ssh.run(lpar, remote.hmcauth_list(), time_limit=COMMAND_TIME_LIMIT)
    except SshError as exc:
        return outcome(failure=str(exc))

    parsed_level = parse_oslevel(level.stdout).level if level.ok else None
    if parsed_level is None:
        return outcome(failure=f"{lpar.name}: {_unusable(level, 'AIX level')}")

    token, warnings = _token_state(lpar, hmcauth)
    return outcome(oslevel=parsed_level, hmc_token=token, warnings=warnings)


def _token_state(lpar: Lpar, hmcauth: CommandResult) -> tuple[HmcToken | None, tuple[str, ...]]:
    parsed = parse_hmcauth(hmcauth.stdout)
    if parsed.authenticated:
        token = parsed.first
        if lpar.hmc is not None and all(t.address != lpar.hmc for t in parsed.tokens):
            return token, (
                f"{lpar.name}: the HMC token is for {token.address}, but the inventory names "
                f"the HMC {lpar.hmc}. Fix `hmc:` in the inventory, or run "
                f"`hmcauth -u USER -a {lpar.hmc}` on the LPAR.",
            )
        return token, ()
    hmc = lpar.hmc or "HMC"
    detail = "" if hmcauth.ok else f" ({_unusable(hmcauth, 'token')})"
    return None, (
        f"{lpar.name}: no HMC token{detail}; a live update would stop with 1430-246. Run "
        f"`hmcauth -u USER -a {hmc}` on the LPAR (the token is lost when the LPAR reboots).",
    )


def _unusable(result: CommandResult, wanted: str) -> str:
    last = result.last_lines(1)
    said = f": {last[0]}" if last else ""
    if result.ok:
        return f"`{result.command}` printed no {wanted}"
    return f"`{result.command}` exited with status {result.exit_status}{said}"


async def check_lpars(
    ssh: Connections,
    lpars: Sequence[Lpar],
    *,
    on_checked: Callable[[LparHealth], None] = lambda _health: None,
) -> list[LparHealth]:
    """Check every LPAR concurrently (within the connection limits); results in input order.

    `on_checked` is called as each LPAR finishes, e.g. to advance a progress bar.
    """

    async def one(lpar: Lpar) -> LparHealth:
        health = await check_lpar(ssh, lpar)
        on_checked(health)
        return health

    return list(await asyncio.gather(*(one(lpar) for lpar in lpars)))
