"""DESIGN.md's import table, checked on the source: every module of every package is parsed and
each of its imports (at the top, inside functions, under TYPE_CHECKING: all of them) is held
to the rules. Pure knowledge stays pure, each adapter library stays in its layer, and the
simulators stay out of what runs in production."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

MAY_IMPORT: dict[str, frozenset[str]] = {
    "liveupdate": frozenset(),
    "lpar": frozenset({"liveupdate"}),
    "storage": frozenset({"liveupdate"}),
    "commands": frozenset({"liveupdate", "lpar", "storage"}),
    "bot": frozenset({"liveupdate", "lpar", "storage", "commands", "sim"}),
    "sim": frozenset(),
}
"""The lkubot packages each package may import besides itself (DESIGN.md, Architecture).
`bot` may import `sim` only in its offline-world modules, below."""
PACKAGES = tuple(MAY_IMPORT)

ADAPTERS: dict[str, frozenset[str]] = {
    "slack_sdk": frozenset({"bot"}),
    "slack_bolt": frozenset({"bot"}),
    "asyncssh": frozenset({"lpar", "sim"}),
    "sqlite3": frozenset({"storage"}),
    "sqlite_utils": frozenset({"storage"}),
}
"""Libraries that reach the outside world, and the only packages that may use them: Slack in
`bot`, SSH in `lpar` (and the simulated LPARs' servers), SQLite in `storage`."""

OFFLINE_WORLD = frozenset(
    {"bot.demo", "bot.demo_story", "bot.demo_transcript", "bot.cli_demo", "bot.cli_sim"}
)
"""The `bot` modules that start simulated LPARs and the Slack emulator (`lkubot demo`,
`lkubot sim`); only they import `sim`, and only they import each other, so nothing else in
`bot` loads the simulators. `bot.cli` names its commands by module path and imports each one
when it is called."""

WORDS = "commands.words"


@dataclass(frozen=True)
class Import:
    module: str
    """The importing module, dotted."""
    target: str
    """What it imports: a module, dotted (`from a import b` is `a.b` when `b` is a module)."""
    names: tuple[str, ...]
    """The names of a `from ... import`; empty for `import x`."""
    line: int

    def __str__(self) -> str:
        names = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.module}:{self.line} imports {self.target}{names}"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(
    source: str, module: str, known: frozenset[str], *, is_package: bool = False
) -> Iterator[Import]:
    """Every import statement in `source` (the text of `module`, an `__init__` when
    `is_package`), relative ones resolved; `known` holds every module's dotted name."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                target = submodule if submodule in known else base
                yield Import(module, target, (alias.name,), node.lineno)


def lkubot_imports(root: Path = ROOT) -> list[Import]:
    paths = [path for package in PACKAGES for path in sorted((root / package).rglob("*.py"))]
    known = frozenset(module_name(path, root) for path in paths)
    return [
        found
        for path in paths
        for found in imports_of(
            path.read_text(), module_name(path, root), known, is_package=path.name == "__init__.py"
        )
    ]


def _top(name: str) -> str:
    return name.split(".")[0]


def package_violations(imports: list[Import]) -> list[str]:
    return [
        f"{i}: {_top(i.module)} may import only {sorted(MAY_IMPORT[_top(i.module)]) or 'nothing'}"
        f" of lkubot"
        for i in imports
        if _top(i.target) in MAY_IMPORT
        and _top(i.target) != _top(i.module)
        and _top(i.target) not in MAY_IMPORT[_top(i.module)]
    ]


def adapter_violations(imports: list[Import]) -> list[str]:
    return [
        f"{i}: {_top(i.target)} belongs in {', '.join(sorted(ADAPTERS[_top(i.target)]))}"
        for i in imports
        if _top(i.target) in ADAPTERS and _top(i.module) not in ADAPTERS[_top(i.target)]
    ]


def offline_world_violations(imports: list[Import]) -> list[str]:
    found = []
    for i in imports:
        if _top(i.module) == "bot" and _top(i.target) == "sim" and i.module not in OFFLINE_WORLD:
            found.append(f"{i}: only {', '.join(sorted(OFFLINE_WORLD))} may import sim")
        if i.target in OFFLINE_WORLD and i.module not in OFFLINE_WORLD:
            found.append(f"{i}: that module starts simulators; load it lazily (bot.cli does)")
    return found


def shared_names() -> frozenset[str]:
    """Classes of `commands.words` whose names another lkubot module also defines."""
    classes: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    classes.setdefault(node.name, set()).add(module_name(path, ROOT))
    return frozenset(name for name, where in classes.items() if WORDS in where and len(where) > 1)


def words_violations(imports: list[Import], shared: frozenset[str]) -> list[str]:
    return [
        f"{i}: write `words.{name}`, since {name} is also the name of another lkubot class"
        for i in imports
        if i.target == WORDS and i.module != WORDS
        for name in i.names
        if name in shared
    ]


# The rules on the code as it is ----------------------------------------------------------


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return lkubot_imports()


def test_every_package_is_parsed(imports: list[Import]) -> None:
    assert {_top(i.module) for i in imports} == set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_packages_design_allows(
    imports: list[Import], package: str
) -> None:
    mine = [i for i in imports if _top(i.module) == package]
    assert package_violations(mine) == []


def test_slack_ssh_and_sqlite_libraries_stay_in_their_layer(imports: list[Import]) -> None:
    assert adapter_violations(imports) == []


def test_only_the_demo_and_sim_commands_of_the_bot_load_the_simulators(
    imports: list[Import],
) -> None:
    assert offline_world_violations(imports) == []


def test_the_command_models_that_share_an_event_name_are_written_words_dot_name(
    imports: list[Import],
) -> None:
    shared = shared_names()
    assert {"Approve", "Reject", "Launch", "Cancel", "Lock", "Freeze"} <= shared
    assert words_violations(imports, shared) == []


def test_lkubot_run_does_not_load_the_simulators() -> None:
    script = textwrap.dedent(
        """
        import sys
        from click.testing import CliRunner
        from bot.cli import main
        result = CliRunner().invoke(main, ["run", "--help"])
        assert result.exit_code == 0, result.output
        print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] == "sim")))
        """
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == []


# The checker itself: each rule catches what it is there for ------------------------------

BROKEN_PACKAGES = {
    "liveupdate/policy.py": "from storage.store import Store\nimport slack_sdk\n",
    "lpar/ssh.py": "import asyncssh\nfrom commands import words\n",
    "storage/store.py": "import sqlite_utils\nfrom .errors import NotFound\n",
    "storage/errors.py": "",
    "commands/words.py": "class Approve: ...\n",
    "commands/vote.py": "from commands.words import Approve, parse\nfrom bot import demo\n",
    "bot/demo.py": "from sim.aix import Fleet\n",
    "bot/cli.py": "from bot.cli_sim import sim_command\n",
    "bot/cli_sim.py": "import sim.aix.fleet\n",
    "bot/workflow.py": "from sim.slack import SlackEmulator\nimport sqlite3\n",
    "sim/aix/fleet.py": "import asyncssh\nfrom lpar.inventory import Inventory\n",
}


def test_the_checker_finds_each_kind_of_broken_rule(tmp_path: Path) -> None:
    for name, source in BROKEN_PACKAGES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
    imports = lkubot_imports(tmp_path)

    assert sorted(package_violations(imports)) == [
        "commands.vote:2 imports bot.demo (demo): commands may import only "
        "['liveupdate', 'lpar', 'storage'] of lkubot",
        "liveupdate.policy:1 imports storage.store (Store): liveupdate may import only "
        "nothing of lkubot",
        "lpar.ssh:2 imports commands.words (words): lpar may import only ['liveupdate'] of lkubot",
        "sim.aix.fleet:2 imports lpar.inventory (Inventory): sim may import only nothing of lkubot",
    ]
    assert sorted(adapter_violations(imports)) == [
        "bot.workflow:2 imports sqlite3: sqlite3 belongs in storage",
        "liveupdate.policy:2 imports slack_sdk: slack_sdk belongs in bot",
    ]
    assert sorted(offline_world_violations(imports)) == [
        "bot.cli:1 imports bot.cli_sim (sim_command): that module starts simulators; load it "
        "lazily (bot.cli does)",
        "bot.workflow:1 imports sim.slack (SlackEmulator): only bot.cli_demo, bot.cli_sim, "
        "bot.demo, bot.demo_story, bot.demo_transcript may import sim",
        "commands.vote:2 imports bot.demo (demo): that module starts simulators; load it "
        "lazily (bot.cli does)",
    ]
    assert words_violations(imports, frozenset({"Approve"})) == [
        "commands.vote:1 imports commands.words (Approve): write `words.Approve`, since "
        "Approve is also the name of another lkubot class"
    ]


def test_relative_imports_are_resolved_against_the_importing_module() -> None:
    known = frozenset(
        {"storage", "storage.store", "storage.errors", "storage.sub", "storage.sub.x"}
    )
    found = list(imports_of("from .errors import NotFound\n", "storage.store", known))
    assert [i.target for i in found] == ["storage.errors"]
    found = list(imports_of("from .. import errors\n", "storage.sub.x", known))
    assert [i.target for i in found] == ["storage.errors"]
    found = list(imports_of("from . import x\n", "storage.sub", known, is_package=True))
    assert [i.target for i in found] == ["storage.sub.x"]
