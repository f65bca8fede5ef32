"""`genld -u`: processes still running an old image of a loaded object (they need a restart,
or a live library update).

One line per process, `Proc_pid: 5046728 Proc_name: topasrec`. Pastes that lost their line
breaks (several processes on one line) read the same.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from liveupdate.text import KeptLine, prompt_command, split_lines

_PROCESS = re.compile(r"Proc_pid:\s*(\d+)\s+Proc_name:\s*(\S+)")


class StaleProcess(BaseModel):
    model_config = ConfigDict(frozen=True)

    pid: int
    name: str


class GenldReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    processes: tuple[StaleProcess, ...]
    unknown_lines: tuple[KeptLine, ...]


def parse_genld(text: str) -> GenldReport:
    """Each process `genld -u` lists, in order, once."""
    processes: dict[int, StaleProcess] = {}
    unknown: list[KeptLine] = []
    # Every line is searched, prompt lines included: a paste that lost its line breaks can
    # glue the first process to the prompt (`# genld -u Proc_pid: 1 Proc_name: init`).
    for number, line in enumerate(split_lines(text), start=1):
        found = _PROCESS.findall(line)
        for pid, name in found:
            processes.setdefault(int(pid), StaleProcess(pid=int(pid), name=name))
        if not found and line.strip() and prompt_command(line) is None:
            unknown.append(KeptLine(line=number, text=line))
    return GenldReport(processes=tuple(processes.values()), unknown_lines=tuple(unknown))
