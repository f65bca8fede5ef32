"""A YAML document that remembers where each value was written, so that an error about a value
can name its line.

PyYAML keeps a mark (line, column) on every node of the composed tree; the data is constructed
from that same tree, so the two cannot disagree. Duplicate mapping keys, which PyYAML silently
resolves by keeping the last one, are reported: two entries for one LPAR are a mistake worth
stopping for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class Place:
    """Where a value sits: its dotted path in the document and the line to show."""

    path: tuple[str | int, ...]
    line: int


class YamlSourceError(Exception):
    """The text is not a usable YAML document; `problems` holds (line, sentence) pairs."""

    def __init__(self, problems: Sequence[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {line}: {text}" for line, text in problems))
        self.problems = tuple(problems)


class YamlDocument:
    """Parsed data plus the node tree it came from."""

    def __init__(self, text: str) -> None:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            self.data: object = None if root is None else loader.construct_document(root)
        except yaml.MarkedYAMLError as exc:
            raise YamlSourceError([_describe_syntax_error(exc)]) from None
        except yaml.YAMLError as exc:
            raise YamlSourceError([(1, f"not valid YAML: {exc}")]) from None
        finally:
            loader.dispose()
        self._root = root
        duplicates = list(_duplicate_keys(root, ()))
        if duplicates:
            raise YamlSourceError(duplicates)

    def locate(self, loc: Sequence[str | int]) -> Place:
        """The deepest node along `loc` (a pydantic error location) that exists in the text.

        Location parts that are not in the document (a union member's tag, a field that is
        missing) are skipped, so the place names what the reader can find in the file.
        """
        node = self._root
        if node is None:
            return Place((), 1)
        path: list[str | int] = []
        line = node.start_mark.line + 1
        for part in loc:
            found = _child(node, part)
            if found is None:
                continue
            key_line, node = found
            path.append(part)
            line = key_line
        return Place(tuple(path), line)


def _child(node: yaml.Node, part: str | int) -> tuple[int, yaml.Node] | None:
    """The child node for one path part, with the line that best names it (the key's line)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key.start_mark.line + 1, value
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item.start_mark.line + 1, item
    return None


def _duplicate_keys(node: yaml.Node | None, path: tuple[str, ...]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            line = key.start_mark.line + 1
            if name in first_line:
                where = ".".join((*path, name))
                found.append(
                    (
                        line,
                        f"{where}: written twice (lines {first_line[name]} and {line}); "
                        "keep one of them",
                    )
                )
            else:
                first_line[name] = line
            found.extend(_duplicate_keys(value, (*path, name)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.extend(_duplicate_keys(item, (*path, str(index))))
    return found


def _describe_syntax_error(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    problem = exc.problem or "not valid YAML"
    context = f" ({exc.context})" if exc.context else ""
    return (
        line,
        f"YAML syntax error: {problem}{context}; check the indentation, colons and quotes "
        "on this line and the one before",
    )
