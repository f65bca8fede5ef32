"""Scenario files: what a fleet's LPARs look like and which faults they show.

    clock_start: 2025-01-29T09:00:00   # the LPARs' virtual time at start (default: now)
    defaults:                          # every LPAR, over the built-in defaults
      oslevel: 7300-02-02-2420
    lpars:
      lpar002:                         # one LPAR, over the defaults
        hmc_token: null                # no HMC token: the preview fails with 1430-246
        faults:
          drop: {phase: blackout, seconds: 60}

An LPAR entry may set any field of `sim.aix.state.LparState` except `name`. Mappings merge
key by key (defaults, then the LPAR's entry); lists and plain values replace.
"""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.aix.state import LparState


class ScenarioError(Exception):
    """The scenario cannot be used; the message has one line per problem, naming the place."""


def merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _problems(error: ValidationError, source: str, place: str) -> list[str]:
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in (place, *problem["loc"]) if part != "")
        lines.append(f"{source}: {where}: {problem['msg']}")
    return lines


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clock_start: datetime | None = None
    defaults: dict[str, Any] = Field(default_factory=dict)
    lpars: dict[str, dict[str, Any]] = Field(default_factory=dict)
    source: str = Field(default="scenario", exclude=True)

    @classmethod
    def load(cls, path: Path) -> Scenario:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise ScenarioError(f"{path}: cannot be read as YAML: {error}") from error
        return cls.parse(data if data is not None else {}, source=str(path))

    @classmethod
    def parse(cls, data: object, source: str = "scenario") -> Scenario:
        if not isinstance(data, dict):
            raise ScenarioError(f"{source}: a scenario is a mapping (clock_start, defaults, lpars)")
        try:
            return cls.model_validate({**data, "source": source})
        except ValidationError as error:
            raise ScenarioError("\n".join(_problems(error, source, ""))) from error

    def with_faults(self, flag: str) -> Scenario:
        """Add the faults of a `--fault NAME=YAML` flag (`*` for every LPAR), e.g.
        `lpar002={drop: {seconds: 60}}`."""
        name, sep, text = flag.partition("=")
        try:
            faults = yaml.safe_load(text) if sep else None
        except yaml.YAMLError as error:
            raise ScenarioError(f"--fault {flag}: the faults are not YAML: {error}") from error
        if not name.strip() or not isinstance(faults, dict):
            raise ScenarioError(
                f"--fault {flag}: expected NAME=MAPPING, e.g. lpar002={{drop: {{seconds: 60}}}}"
            )
        overlay = {"faults": faults}
        name = name.strip()
        if name == "*":
            return self.model_copy(update={"defaults": merge(self.defaults, overlay)})
        lpars = dict(self.lpars)
        lpars[name] = merge(lpars.get(name, {}), overlay)
        return self.model_copy(update={"lpars": lpars})

    def state_for(self, base: LparState) -> LparState:
        """The LPAR's state: the built-in `base`, then the defaults, then its own entry."""
        entry = self.lpars.get(base.name, {})
        problems = []
        for place, overlay in (("defaults", self.defaults), (f"lpars.{base.name}", entry)):
            if "name" in overlay:
                problems.append(f"{self.source}: {place}.name: the fleet names the LPARs")
        if problems:
            raise ScenarioError("\n".join(problems))
        with_defaults = self._validated(merge(base.model_dump(), self.defaults), "defaults")
        return self._validated(merge(with_defaults.model_dump(), entry), f"lpars.{base.name}")

    def _validated(self, data: dict[str, Any], place: str) -> LparState:
        try:
            return LparState.model_validate(data)
        except ValidationError as error:
            raise ScenarioError("\n".join(_problems(error, self.source, place))) from error

    def check_names(self, names: list[str]) -> None:
        unknown = sorted(set(self.lpars) - set(names))
        if unknown:
            raise ScenarioError(
                f"{self.source}: lpars: {', '.join(unknown)} not in this fleet of {len(names)} "
                f"LPARs ({names[0]} to {names[-1]}); raise --count or rename the entries"
            )
