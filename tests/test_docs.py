"""What the documentation states about the code matches the code: the limits the README
gives for SSH, and the modules and names that docstrings send a reader to."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from lpar.options import EngineOptions
from lpar.ssh import SshOptions

ROOT = Path(__file__).resolve().parents[1]

REFERENCE = re.compile(r"`((?:liveupdate|storage|commands|bot)(?:\.[A-Za-z_]\w*)+)")
"""A dotted name in backticks that starts with a package. `lpar` and `sim` are left out: they
double as variable names in examples (`lpar.state.faults`), which are not references."""


def _readme_connections() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("**Connections.**")
    return " ".join(text[start : text.index("\n\n", start)].split())


def test_the_readme_gives_the_bots_ssh_limits() -> None:
    paragraph = _readme_connections()
    engine = EngineOptions().ssh
    assert f"at most {engine.max_commands} commands" in paragraph, paragraph
    assert f"at most {engine.channels_per_lpar} channels" in paragraph, paragraph


def test_the_readme_gives_the_inventory_checks_ssh_limit() -> None:
    # `lkubot inventory check` opens its connections with the defaults.
    assert f"{SshOptions().max_commands} at once" in _readme_connections()


def _docstrings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    nodes = [tree, *ast.walk(tree)]
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return [doc for node in nodes if isinstance(node, kinds) if (doc := ast.get_docstring(node))]


def resolves(name: str) -> bool:
    """Does `pkg.module.Attr...` name a module, or an attribute of the longest module in it?"""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def _references() -> list[tuple[str, str]]:
    return sorted(
        {
            (str(path.relative_to(ROOT)), match.group(1))
            for package in ("liveupdate", "lpar", "storage", "commands", "bot", "sim")
            for path in (ROOT / package).rglob("*.py")
            for doc in _docstrings(path)
            for match in REFERENCE.finditer(doc)
        }
    )


def test_docstrings_name_modules_and_classes_that_exist() -> None:
    broken = [f"{path}: `{name}`" for path, name in _references() if not resolves(name)]
    assert not broken, "docstrings name what does not exist:\n" + "\n".join(broken)


@pytest.mark.parametrize(
    ("name", "exists"),
    [
        ("storage.store.AsyncStore", True),
        ("storage.store", True),
        ("storage.service.AsyncStore", False),
        ("storage.Store", False),
        ("bot.auth.SlackMembership.resolve", True),
        ("bot.auth.SlackMembership.lookup", False),
    ],
)
def test_the_reference_check_tells_real_names_from_stale_ones(name: str, exists: bool) -> None:
    assert resolves(name) is exists
