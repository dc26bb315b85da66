"""From a successful run to a skill: the model's clicks become described targets.

Each click is replaced by what lies at the executed point (a label, a button's
text), each text typed right after a click becomes ``type: {into: ...}``, a
click that opened a dropdown and the click on its option become one
``select`` step, and every typed text (or chosen option) that appears in the
task becomes a parameter with that value as default. The skill then runs
without a model where the interface is unchanged, and falls back to OCR and
the model's grounding (the original ``element_info`` is kept as the target's
description) where it changed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..actions import Key, LeftClick, LeftDoubleClick, RightClick, Scroll, Type, Wait
from ..errors import ConfigError
from ..runlog import StepRecord, read_run
from ..secrets import PLACEHOLDER_RE
from .describe import DomDescriber, text_near_point
from .loader import parse_skill

CLICKS = (LeftClick, LeftDoubleClick, RightClick)


def skill_from_run(run_dir: str | Path, *, name: str, url: str | None = None) -> str:
    """The YAML text of a skill reproducing the run in ``run_dir``."""
    run_dir = Path(run_dir)
    record, steps = read_run(run_dir)
    if record.outcome not in ("done", "answered"):
        raise ConfigError(f"{run_dir}: the run ended with outcome {record.outcome!r}; only a "
                          "successful run can become a skill")
    acted = [s for s in steps if s.action is not None and s.error is None]
    browser = record.driver.get("name") == "playwright"
    describer = DomDescriber(record.driver.get("viewport", "1280x720"), url) if browser else None
    try:
        builder = _Builder(run_dir, describer, record.task)
        builder.build(acted)
    finally:
        if describer is not None:
            describer.close()
    if browser and steps and steps[-1].title and steps[-1].title != (steps[0].title or ""):
        builder.out.append({"wait_for": {"title_contains": literal(steps[-1].title),
                                         "timeout": 10}})
    skill = {"name": re.sub(r"[^A-Za-z0-9_.-]+", "_", name),
             "description": literal(record.task), "parameters": builder.params,
             "steps": builder.out}
    header = (f"# Made by `guiagent skill from-run {_one_line(str(run_dir))}`.\n"
              f"# Task of the run: {_one_line(record.task)}\n")
    text = header + yaml.safe_dump(skill, sort_keys=False, allow_unicode=True, width=100)
    parse_skill(text, f"skill made from {run_dir}")  # what we write must load
    return text


class _Builder:
    def __init__(self, run_dir: Path, describer: DomDescriber | None, task: str) -> None:
        self.run_dir = run_dir
        self.describer = describer
        self.task = task.casefold()
        self.out: list[dict[str, Any]] = []
        self.params: dict[str, Any] = {}
        self._pending: dict[str, Any] | None = None  # a click not yet emitted (a type may follow)

    def build(self, steps: list[StepRecord]) -> None:
        i = 0
        while i < len(steps):
            step, action = steps[i], steps[i].action
            if isinstance(action, CLICKS) and step.executed:
                target, info = self._target(step)
                nxt = steps[i + 1] if i + 1 < len(steps) else None
                if info.get("control") == "select" and nxt is not None and isinstance(
                        nxt.action, LeftClick) and self.describer is not None:
                    option = self.describer.option_text(step, nxt) or text_near_point(
                        self.run_dir, nxt)
                    if option and target:
                        self._flush()
                        self.out.append({"select": {"field": target,
                                                    "option": self._param(option, target, "chosen in")}})
                        i += 2
                        continue
                self._flush()
                spec = dict(target)
                if isinstance(action, LeftDoubleClick):
                    spec["double"] = True
                elif isinstance(action, RightClick):
                    spec["button"] = "right"
                self._pending = spec
            elif isinstance(action, Type):
                text = self._typed(action.content)
                if self._pending is not None and set(self._pending) <= {
                        "label", "placeholder", "text", "role", "description"}:
                    target = self._pending
                    self._pending = None
                    self.out.append({"type": {"into": target, "text": self._param(text, target)}})
                else:
                    self._flush()
                    self.out.append({"type": {"text": self._param(text, {})}})
            elif isinstance(action, Key):
                self._flush()
                self.out.append({"key": action.keys})
            elif isinstance(action, Scroll):
                self._flush()
                self.out.append({"scroll": {"direction": action.direction, "step": action.step}})
            elif isinstance(action, Wait):
                self._flush()
                self.out.append({"wait": 5})
            elif action is not None and not action.terminal:
                self._flush()
                self.out.append({"agent": literal(f"Do this again: {action.to_call()}")})
            i += 1
        self._flush()

    def _flush(self) -> None:
        if self._pending is not None:
            self.out.append({"click": self._pending})
            self._pending = None

    def _target(self, step: StepRecord) -> tuple[dict[str, Any], dict[str, Any]]:
        """The described target of a click, falling back to OCR, then to the model's words."""
        target, info = (self.describer.describe(step) if self.describer else (None, {}))
        if target is None:
            text = text_near_point(self.run_dir, step)
            target = {"text": text} if text else None
        note = getattr(step.action, "element_info", "") or ""
        if target is None:
            if not note:
                raise ConfigError(f"step {step.index}: nothing readable at the clicked point and "
                                  "no element_info; this run cannot become a skill")
            return {"description": literal(note)}, info
        if note and note.casefold() not in {str(v).casefold() for v in target.values()}:
            target["description"] = note
        # Page texts and the model's words are literal text, never templates.
        return {k: literal(v) if isinstance(v, str) else v for k, v in target.items()}, info

    def _typed(self, content: str) -> str | _Template:
        """Typed text; ``{{secret:NAME}}`` placeholders become secret parameters."""
        if not PLACEHOLDER_RE.search(content):
            return content
        parts, last = [], 0
        for match in PLACEHOLDER_RE.finditer(content):
            parts.append(literal(content[last:match.start()]))
            name = match.group(1)
            self.params.setdefault(name, {
                "type": "string", "secret": True,
                "description": f"the secret {name}; the recorded run typed its placeholder"})
            parts.append("{{ " + name + " }}")
            last = match.end()
        parts.append(literal(content[last:]))
        return _Template("".join(parts))

    def _param(self, value: str | _Template, target: dict[str, Any],
               verb: str = "typed into") -> str:
        """Make a parameter of a value the task mentions; otherwise keep the literal."""
        if isinstance(value, _Template):
            return str(value)
        if len(value.strip()) < 2 or value.casefold() not in self.task or literal(value) != value:
            return literal(value)
        base = _slug(target.get("label") or target.get("placeholder") or target.get("text")
                     or "text")
        param, n = base, 2
        while param in self.params:
            param, n = f"{base}_{n}", n + 1
        self.params[param] = {"type": "string", "default": value,
                              "description": f"{verb} {base.replace('_', ' ')}"}
        return "{{ " + param + " }}"


class _Template(str):
    """Text that is already a template (placeholders made parameters): not escaped again."""


def literal(text: str) -> str:
    """``text`` as a template that renders to exactly ``text``.

    Skill strings are Jinja2 templates; text from a run (what was typed, a page's
    labels, the task) that holds ``{{``, ``{%`` or ``{#`` gets every ``{`` written
    as ``{{ '{' }}``.
    """
    if not any(mark in text for mark in ("{{", "{%", "{#")):
        return text
    return text.replace("{", "{{ '{' }}")


def _one_line(text: str) -> str:
    """For a YAML comment: a newline in the text must not end the comment."""
    return " ".join(text.splitlines())


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")[:40]
    if not slug or slug[0].isdigit():
        slug = "value_" + slug
    return slug
