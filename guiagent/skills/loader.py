"""Load skill files: YAML parsed with line numbers, validated by pydantic.

A skill written by hand is usually wrong somewhere; the error must say where.
The file is composed into YAML nodes (which keep their line) as well as loaded
into data, and a pydantic error location (``steps.2.click.text``) is walked
down the node tree to the line it came from. Template variables are checked
here too, so a misspelt ``{{ emial }}`` fails at load time, not mid-run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateSyntaxError, meta
from pydantic import ValidationError

from ..errors import SkillFileError
from ..yaml_limits import MAX_FILE_CHARS, MAX_NODES, load_bounded
from .schema import ForEachStep, Skill, iter_steps
from .templating import environment

__all__ = ["MAX_FILE_CHARS", "MAX_NODES", "load_skill", "parse_skill"]


def load_skill(path: str | Path) -> Skill:
    """Read and validate one skill file; raise SkillFileError naming file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SkillFileError(f"{path}: cannot read the skill file ({exc.strerror})") from exc
    skill = parse_skill(text, str(path))
    skill.source = str(path)
    return skill


def parse_skill(text: str, filename: str = "<skill>") -> Skill:
    """Validate skill text; ``filename`` is only used in error messages.

    Skill files may come from anyone: a file larger than :data:`MAX_FILE_CHARS`, or
    whose YAML aliases expand to more than :data:`MAX_NODES` nodes (a "billion
    laughs" file is a few hundred bytes) or refer to themselves, is refused before
    anything walks the expanded tree.
    """
    data, root = load_bounded(text, filename, SkillFileError, "skill file")
    if not isinstance(data, dict):
        raise SkillFileError(f"{filename}:1: a skill file must be a mapping with name, "
                             "description, parameters and steps")
    try:
        skill = Skill.model_validate(data)
    except ValidationError as exc:
        raise SkillFileError(_describe(exc, root, filename)) from exc
    _check_templates(skill, root, filename)
    return skill


def _describe(exc: ValidationError, root: yaml.Node | None, filename: str) -> str:
    lines = []
    for err in exc.errors()[:5]:
        loc = _clean_loc(err["loc"])
        line = line_of(root, loc)
        field = _format_loc(loc) or "(top level)"
        lines.append(f"{filename}:{line}: {field}: {err['msg']}")
    more = len(exc.errors()) - 5
    if more > 0:
        lines.append(f"... and {more} more error(s)")
    return "\n".join(lines)


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the union tags pydantic inserts (``steps.2.click.click`` -> ``steps.2.click``)."""
    out: list[Any] = []
    for item in loc:
        if out and item == out[-1] and isinstance(item, str):
            continue
        if str(item).startswith("function-"):  # a validator's name, not a field
            continue
        out.append(item)
    return tuple(out)


def _format_loc(loc: tuple[Any, ...]) -> str:
    text = ""
    for item in loc:
        text += f"[{item + 1}]" if isinstance(item, int) else (f".{item}" if text else str(item))
    return text


def line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """The 1-based line a validation location points at: the deepest key or item found."""
    node, line = root, (root.start_mark.line if root is not None else 0)
    for item in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == item:
                    node, line = value, key.start_mark.line
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(item, int):
            if 0 <= item < len(node.value):
                node = node.value[item]
                line = node.start_mark.line
    return line + 1


def _check_templates(skill: Skill, root: yaml.Node | None, filename: str) -> None:
    """Every ``{{ name }}`` must be a parameter or a ``for_each`` variable."""
    known = set(skill.parameters)
    for step in iter_steps(skill.steps):
        if isinstance(step, ForEachStep):
            known.add(step.for_each.as_)
    env = environment()
    for node in _scalars(root):
        value = node.value
        if not isinstance(value, str) or ("{{" not in value and "{%" not in value):
            continue
        try:
            names = meta.find_undeclared_variables(env.parse(value))
        except TemplateSyntaxError as exc:
            raise SkillFileError(f"{filename}:{node.start_mark.line + 1}: template error in "
                                 f"{value!r}: {exc.message}") from exc
        unknown = sorted(names - known)
        if unknown:
            raise SkillFileError(
                f"{filename}:{node.start_mark.line + 1}: {value!r} uses {', '.join(unknown)}, "
                f"which is not a parameter of the skill (parameters: "
                f"{', '.join(sorted(skill.parameters)) or 'none'}); declare it under parameters")


def _scalars(node: yaml.Node | None) -> list[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        return [node]
    if isinstance(node, yaml.SequenceNode):
        return [s for child in node.value for s in _scalars(child)]
    if isinstance(node, yaml.MappingNode):
        return [s for _, child in node.value for s in _scalars(child)]
    return []
