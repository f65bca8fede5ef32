"""`hmcauth -l`: whether the LPAR holds an HMC token, and for which HMC and user.

    Address : 192.168.199.50
    User name: liveup
    Port : 12443

No output means no token: `geninstall -k` would fail with 1430-246. An LPAR authenticated
with several HMCs prints one such group per HMC; the first is reported at the top level.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from liveupdate.text import KeptLine, output_lines

_FIELD = re.compile(r"^\s*(Address|User name|Port)\s*:\s*(.*?)\s*$", re.IGNORECASE)


class HmcToken(BaseModel):
    model_config = ConfigDict(frozen=True)

    address: str | None = None
    user: str | None = None
    port: int | None = None


class HmcAuth(BaseModel):
    model_config = ConfigDict(frozen=True)

    tokens: tuple[HmcToken, ...]
    unknown_lines: tuple[KeptLine, ...] = ()

    @property
    def authenticated(self) -> bool:
        return any(token.address for token in self.tokens)

    @property
    def first(self) -> HmcToken:
        return self.tokens[0] if self.tokens else HmcToken()


def parse_hmcauth(text: str) -> HmcAuth:
    """The tokens `hmcauth -l` lists; none when it printed nothing."""
    tokens: list[dict[str, str | int | None]] = []
    unknown: list[KeptLine] = []
    for number, line in output_lines(text, {"hmcauth", "pvcauth"}):
        match = _FIELD.match(line)
        if match is None:
            if line.strip():
                unknown.append(KeptLine(line=number, text=line))
            continue
        label, value = match[1].lower(), match[2]
        key = {"address": "address", "user name": "user", "port": "port"}[label]
        if key == "address" or not tokens or key in tokens[-1]:
            tokens.append({})
        tokens[-1][key] = (int(value) if value.isdigit() else None) if key == "port" else value
    return HmcAuth(
        tokens=tuple(HmcToken.model_validate(token) for token in tokens),
        unknown_lines=tuple(unknown),
    )
