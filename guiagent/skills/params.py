"""Parameter values: from the command line, a JSON file or Python, checked against the skill.

Values on the command line are strings; each is converted to the declared type
(``integer``, ``boolean``, ``object`` from JSON, ``csv`` from a file or CSV text)
so that steps receive real values, and a wrong or missing one is reported before
anything is clicked.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..errors import ConfigError
from .schema import Parameter, Skill

_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "string": TypeAdapter(str), "integer": TypeAdapter(int), "number": TypeAdapter(float),
    "boolean": TypeAdapter(bool), "object": TypeAdapter(dict), "list": TypeAdapter(list),
}


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``["a=1", "b=@file.json"]`` -> ``{"a": "1", "b": <file text>}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {pair!r} must look like NAME=VALUE (or NAME=@FILE)")
        if value.startswith("@"):
            try:
                value = Path(value[1:]).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"--param {name}: cannot read {value[1:]}: {exc.strerror}") from exc
        out[name.strip()] = value
    return out


def read_params_file(path: str | Path, skill: Skill) -> dict[str, Any]:
    """A JSON object of parameter values.

    If none of its keys is a parameter name and the skill has exactly one
    ``object`` parameter, the whole file is that parameter's value (so a form
    record can be passed as is: ``--params-file record.json``).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--params-file {path}: cannot read it ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--params-file {path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"--params-file {path}: expected a JSON object")
    objects = [n for n, p in skill.parameters.items() if p.type == "object"]
    if data and not set(data) & set(skill.parameters) and len(objects) == 1:
        return {objects[0]: data}
    return data


def resolve_params(skill: Skill, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults plus given values, converted to their declared types; all errors at once."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(skill.parameters))
    problems = [f"unknown parameter {n!r}" for n in unknown]
    values: dict[str, Any] = {}
    for name, param in skill.parameters.items():
        if name in given:
            try:
                values[name] = coerce(param, given[name])
            except (ValueError, ValidationError) as exc:
                problems.append(f"{name}: {_first(exc)}")
        elif param.required:
            problems.append(f"{name} is required ({param.type}"
                            f"{': ' + param.description if param.description else ''})")
        else:
            values[name] = param.default
    if problems:
        declared = ", ".join(f"{n} ({p.type})" for n, p in skill.parameters.items()) or "none"
        raise ConfigError(f"skill {skill.name}: " + "; ".join(problems)
                          + f". Its parameters: {declared}. Pass them with --param NAME=VALUE "
                          "or --params-file FILE.json")
    return values


def coerce(param: Parameter, value: Any) -> Any:
    """Convert one value to the parameter's type."""
    if param.type == "csv":
        return read_csv(value)
    if param.type in ("object", "list") and isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"expected JSON ({exc})") from exc
    return _ADAPTERS[param.type].validate_python(value)


def read_csv(value: Any) -> list[list[str]]:
    """Rows of a CSV file path, CSV text, or an already split list of rows."""
    if isinstance(value, list):
        return [[str(c) for c in (row if isinstance(row, list) else [row])] for row in value]
    text = str(value)
    if "\n" not in text and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8-sig")
    elif "\n" not in text and "," not in text:
        raise ValueError(f"{text!r} is neither an existing CSV file nor CSV text")
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _first(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return exc.errors()[0]["msg"]
    return str(exc)
