"""Evaluation tasks and suites: YAML files validated by pydantic, errors with file and line.

A suite is one YAML file holding a list of tasks (or one task mapping), or a
folder of such files. A bundled suite is found by name in ``guiagent/eval/suites``
(``web`` -> ``suites/web.yaml`` or ``suites/web/``); a few suites are computed
rather than written (MiniWoB++), and come from a module named in
:data:`SUITE_MODULES` whose ``load_suite()`` returns the tasks.

Task files are treated as untrusted input for errors (every mistake is named by
file, line and field) but not as sandboxed code: ``python:`` steps and checks
import and run the named function, so run only suites you would run as a script.
"""

from __future__ import annotations

import fnmatch
import importlib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from ..errors import ConfigError, TaskFileError
from ..skills.loader import line_of
from ..yaml_limits import load_bounded
from .schema import Check, DesktopSpec, SetupStep

#: Suites computed by a module: name -> module exposing ``load_suite() -> list[Task]``.
SUITE_MODULES: dict[str, str] = {"miniwob": "guiagent.eval.miniwob"}

TASK_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class Task(BaseModel):
    """One task: what to ask, where, how to prepare the world, and how to check the end state."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=TASK_ID)
    instruction: str = Field(min_length=1)
    url: str | None = None
    desktop: DesktopSpec | None = None
    max_steps: int = Field(default=30, ge=1)
    time_limit: float | None = Field(default=None, gt=0)
    tags: list[str] = []
    setup: list[SetupStep] = []
    evaluate: list[Check] = Field(min_length=1)
    #: Files (relative to the task file) the agent may upload through a page's file chooser;
    #: nothing else can be chosen (``--upload-file`` of ``guiagent run``).
    upload_files: list[str] = []
    #: Free-form facts for custom setup steps and checks (a MiniWoB task's name, ...).
    extra: dict[str, Any] = {}
    _source: str = PrivateAttr(default="")
    _line: int = PrivateAttr(default=0)

    @property
    def source(self) -> str:
        """``file:line`` where the task was written ("" when built in code)."""
        return f"{self._source}:{self._line}" if self._source else ""

    @property
    def base_dir(self) -> Path:
        """The folder of the task's file: ``copy`` sources and local check modules are found here."""
        return Path(self._source).parent if self._source else Path.cwd()

    def suite_file(self, rel: str, what: str = "file") -> Path:
        """A path beside the task's file; refuses one that leads outside its folder (hostile tasks)."""
        base = self.base_dir.resolve()
        path = (base / rel).resolve()
        if not path.is_relative_to(base):
            raise ConfigError(f"task {self.id!r}: {what} {rel!r} leads outside the suite's folder "
                              f"({base})")
        return path

    def located(self, source: str, line: int) -> Task:
        """Remember where the task was written (for messages and relative paths)."""
        self._source, self._line = source, line
        return self

    @property
    def kind(self) -> str:
        """``desktop`` or ``browser``: which episode environment the task needs."""
        return "desktop" if self.desktop is not None else "browser"


def parse_tasks(text: str, filename: str = "<tasks>") -> list[Task]:
    """Validate the text of one task file: a YAML list of tasks, or a single task mapping."""
    data, root = load_bounded(text, filename, TaskFileError, "task file")
    if isinstance(data, dict):
        data, root = [data], yaml.SequenceNode("tag:yaml.org,2002:seq", [root],
                                               start_mark=root.start_mark if root else None)
    if not isinstance(data, list) or not data:
        raise TaskFileError(f"{filename}:1: a task file is a YAML list of tasks (each a mapping "
                            "with id, instruction, url or desktop, and evaluate)")
    tasks, errors = [], []
    for index, item in enumerate(data):
        node = root.value[index] if isinstance(root, yaml.SequenceNode) else None
        line = node.start_mark.line + 1 if node is not None else 1
        if not isinstance(item, dict):
            errors.append(f"{filename}:{line}: task {index + 1} is not a mapping")
            continue
        try:
            task = Task.model_validate(item)
        except ValidationError as exc:
            errors.extend(_describe(exc, node, filename, item.get("id")))
            continue
        if task.url is None and task.desktop is None:
            errors.append(f"{filename}:{line}: task {task.id!r}: give url (a browser task) or "
                          "desktop (a desktop task)")
            continue
        tasks.append(task.located(filename, line))
    if errors:
        more = f"\n... and {len(errors) - 8} more error(s)" if len(errors) > 8 else ""
        raise TaskFileError("\n".join(errors[:8]) + more)
    return tasks


def _describe(exc: ValidationError, node: yaml.Node | None, filename: str,
              task_id: Any) -> list[str]:
    name = f"task {task_id!r}" if isinstance(task_id, str) else "task"
    out = []
    for err in exc.errors()[:5]:
        loc = _clean_loc(err["loc"])
        field = "".join(f"[{i + 1}]" if isinstance(i, int) else f".{i}" for i in loc).lstrip(".")
        out.append(f"{filename}:{line_of(node, loc)}: {name}: {field or '(top level)'}: "
                   f"{err['msg']}")
    return out


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the union tags pydantic inserts (``evaluate.0.sql.sql.query`` -> ``evaluate.0.sql.query``)."""
    out: list[Any] = []
    for item in loc:
        if out and item == out[-1] and isinstance(item, str):
            continue
        if str(item).startswith("function-"):
            continue
        out.append(item)
    return tuple(out)


def load_task_file(path: str | Path) -> list[Task]:
    """Read and validate one task file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaskFileError(f"{path}: cannot read the task file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise TaskFileError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    return parse_tasks(text, str(path))


def load_suite_path(path: str | Path) -> list[Task]:
    """A suite file, or every ``*.yaml``/``*.yml`` file under a folder (sorted); ids must be unique."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise TaskFileError(f"{path}: the folder holds no .yaml task files")
    else:
        files = [path]
    tasks: list[Task] = []
    seen: dict[str, Task] = {}
    for file in files:
        for task in load_task_file(file):
            if task.id in seen:
                raise TaskFileError(f"{task.source}: task id {task.id!r} is used twice "
                                    f"(first at {seen[task.id].source}); ids must be unique")
            seen[task.id] = task
            tasks.append(task)
    return tasks


def bundled_suites() -> list[str]:
    """Names of the suites shipped with guiagent (files and folders under eval/suites, computed ones)."""
    root = resources.files("guiagent.eval").joinpath("suites")
    names = set(SUITE_MODULES)
    if root.is_dir():
        for entry in root.iterdir():
            if entry.name.startswith(("_", ".")):
                continue
            name = entry.name.removesuffix(".yaml").removesuffix(".yml")
            if entry.is_dir() or name != entry.name:
                names.add(name)
    return sorted(names)


def load_suite(name_or_path: str) -> list[Task]:
    """A suite by path (file or folder), else by bundled name; TaskFileError when neither exists."""
    path = Path(name_or_path)
    if path.exists():
        return load_suite_path(path)
    root = Path(str(resources.files("guiagent.eval").joinpath("suites")))
    for candidate in (root / f"{name_or_path}.yaml", root / f"{name_or_path}.yml", root / name_or_path):
        if "/" not in name_or_path and candidate.exists():
            return load_suite_path(candidate)
    if name_or_path in SUITE_MODULES:
        try:
            module = importlib.import_module(SUITE_MODULES[name_or_path])
        except ImportError as exc:
            raise TaskFileError(f"suite {name_or_path!r} needs an optional part that is not "
                                f"installed ({exc}); pip install 'guiagent[{name_or_path}]'") from exc
        return list(module.load_suite())
    raise TaskFileError(f"no suite {name_or_path!r}: not a file or folder, and not a bundled suite "
                        f"(bundled: {', '.join(bundled_suites()) or 'none'})")


def bundled_policy(name: str) -> Path | None:
    """The action policy a bundled suite ships with it (``suites/_policies/NAME.yaml``), if any.

    Only suites that come with guiagent get one applied by default: a suite folder from
    elsewhere is not trusted to relax the guard.
    """
    if Path(name).exists() or "/" in name:
        return None
    path = Path(str(resources.files("guiagent.eval").joinpath("suites"))) / "_policies" / f"{name}.yaml"
    return path if path.is_file() else None


def select_tasks(tasks: list[Task], patterns: list[str] | None) -> list[Task]:
    """Tasks whose id (or one of whose tags, as ``tag:NAME``) matches any glob; all when none given."""
    if not patterns:
        return list(tasks)
    out = []
    for task in tasks:
        for pattern in patterns:
            if pattern.startswith("tag:"):
                if any(fnmatch.fnmatchcase(tag, pattern[4:]) for tag in task.tags):
                    out.append(task)
                    break
            elif fnmatch.fnmatchcase(task.id, pattern):
                out.append(task)
                break
    return out
