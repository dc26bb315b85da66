"""Prompt templates users can replace: one text file per family, ``$name`` placeholders.

Each family's prompt is a file in ``guiagent/prompts/``; ``--prompt-template FILE``
swaps in the user's own (the authors' exact wording, or a tuned one). The format
is Python's :class:`string.Template` on purpose: ``$task`` / ``${task}`` and
``$$`` for a dollar sign, nothing that evaluates, so a template file cannot run
code and its placeholders can be listed and checked before a run starts.

A family declares its placeholders (:class:`Placeholder`: name, meaning, whether
a template must use it); :func:`checked_template` refuses a template with an
unknown placeholder or without a required one, naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from ..errors import ConfigError

#: Template files are prompts, not books.
MAX_TEMPLATE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Placeholder:
    """One ``$name`` a family fills in, what it holds, and whether templates must use it."""

    name: str
    meaning: str
    required: bool = False


def packaged_text(filename: str) -> str:
    """A file of ``guiagent/prompts/`` (the families' own templates)."""
    return resources.files("guiagent").joinpath("prompts", filename).read_text("utf-8")


def read_template_file(path: str | Path) -> str:
    """The text of a user's template file; ConfigError saying what is wrong with it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the prompt template {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_TEMPLATE_BYTES:
        raise ConfigError(f"the prompt template {path} has {len(data)} bytes; the limit is "
                          f"{MAX_TEMPLATE_BYTES}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the prompt template {path} is not UTF-8 text ({exc.reason} at "
                          f"byte {exc.start})") from exc


def checked_template(text: str, placeholders: tuple[Placeholder, ...], *,
                     protocol: str, source: str = "the prompt template") -> Template:
    """``text`` as a Template whose placeholders the family knows and that has the required ones."""
    template = Template(text)
    known = {p.name for p in placeholders}
    if not template.is_valid():
        raise ConfigError(
            f"{source} has a '$' that starts no placeholder (line "
            f"{_bad_dollar_line(template)}): write $$ for a dollar sign, or one of "
            f"{_names(known)}")
    used = set(template.get_identifiers())
    unknown = sorted(used - known)
    missing = sorted(p.name for p in placeholders if p.required and p.name not in used)
    problems = []
    if unknown:
        problems.append(f"unknown placeholder(s) {_names(unknown)}")
    if missing:
        problems.append(f"missing required placeholder(s) {_names(missing)}")
    if problems:
        raise ConfigError(f"{source} for the {protocol} protocol has {' and '.join(problems)}; "
                          f"its placeholders are {_names(known)} (`guiagent prompt show "
                          f"--protocol {protocol}` shows the built-in template's use of them)")
    return template


def describe_placeholders(placeholders: tuple[Placeholder, ...]) -> list[str]:
    """One line per placeholder, for ``guiagent prompt show`` and the docs."""
    return [f"${p.name}{' (required)' if p.required else ''}" + (f": {p.meaning}" if p.meaning else "")
            for p in placeholders]


def _names(names: set[str] | list[str]) -> str:
    return ", ".join(f"${n}" for n in sorted(names))


def _bad_dollar_line(template: Template) -> int:
    """The line number of the first invalid ``$`` (what string.Template would raise at)."""
    for match in template.pattern.finditer(template.template):
        if match.group("invalid") is not None:
            return template.template.count("\n", 0, match.start()) + 1
    return 0
