"""Turn pydantic's validation errors on a YAML file into lines an admin can act on:

    lpars.yml:14: lpars.lpar01.port: must be a number from 1 to 65535, not "ssh"

Each line names the file, the line, the dotted path to the value, what a valid value looks
like, and the value that was found.
"""

from __future__ import annotations

import collections.abc
import difflib
import json
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from lpar.names import FORMAT_ERROR
from lpar.yaml_source import YamlDocument


def validation_problems(
    exc: ValidationError, doc: YamlDocument, model: type[BaseModel], label: str
) -> list[tuple[int, str]]:
    """(line number, problem line) per error, for the file shown as `label`."""
    return [_describe(error, doc, model, label) for error in exc.errors()]


def format_line(label: str, line: int, path: Sequence[str | int], sentence: str) -> str:
    where = f"{dotted(path)}: " if path else ""
    return f"{label}:{line}: {where}{sentence}"


def dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in path)


def shown(value: object) -> str:
    """A value as the admin would write it in YAML: "ssh", 70000, null, true."""
    if value is None or isinstance(value, bool | int | float | str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _describe(
    error: ErrorDetails, doc: YamlDocument, model: type[BaseModel], label: str
) -> tuple[int, str]:
    loc = tuple(error["loc"])
    place = doc.locate(loc)
    kind = error["type"]
    if kind == "missing":
        field = str(loc[-1])
        parent = dotted(place.path) or "the top level"
        sentence = f"is required; add `{field}: ...` under {parent}"
        return place.line, format_line(label, place.line, (*place.path, field), sentence)
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        sentence = "is not a known key"
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            sentence += f"; did you mean `{close[0]}`?"
        if allowed:
            sentence += f"; the keys allowed here are: {', '.join(allowed)}"
        return place.line, format_line(label, place.line, place.path, sentence)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        allowed = _allowed_keys(model, loc)
        sentence = f"must be a mapping (`key: value` lines), not {shown(error.get('input'))}"
        if allowed:
            sentence += f"; the keys allowed here are: {', '.join(allowed)}"
        return place.line, format_line(label, place.line, place.path, sentence)
    if kind == "too_short" and error.get("ctx", {}).get("actual_length") == 0:
        sentence = "must not be empty; add at least one entry"
        return place.line, format_line(label, place.line, place.path, sentence)
    sentence = _sentence(error)
    return place.line, format_line(label, place.line, place.path, sentence)


def _sentence(error: ErrorDetails) -> str:
    kind = error["type"]
    message = error["msg"]
    value = error.get("input")
    if kind == FORMAT_ERROR:
        return f"{message}, not {shown(value)}"
    if kind in ("value_error", "assertion_error"):
        # A validator's own sentence already says what is wrong and usually quotes the value.
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    for prefix in ("Input should be ", "String should ", "List should ", "Dictionary should "):
        if message.startswith(prefix):
            rest = message.removeprefix(prefix).replace(" after validation", "")
            verb = "must be " if prefix == "Input should be " else "must "
            message = verb + rest
            break
    if "not " in message.split(",")[-1] or isinstance(value, dict | list):
        return message
    return f"{message}, not {shown(value)}"


def _allowed_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names of the model found at `loc`, walking through dicts and lists."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
            continue
        origin = typing.get_origin(current)
        if origin in (dict, list, tuple, collections.abc.Mapping, collections.abc.Sequence):
            args = typing.get_args(current)
            current = args[-1] if args else Any
            continue
        return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional, keeping the first model or container inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = options[0] if options else annotation
            if not options:
                return annotation
        else:
            return annotation
