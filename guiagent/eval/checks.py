"""Evaluators: each check looks at the world (page, database, files), never at the model's word.

Every check returns a :class:`~guiagent.eval.context.CheckResult` with the
verdict and its evidence (what was expected, what was found). A check that
cannot even look (the page crashed, the query is wrong) fails with the reason
as its message instead of ending the suite.

File formats beyond plain text (.xlsx cells, .docx paragraphs) plug in with
:func:`register_file_option`: a key such as ``cell`` in a ``file:`` check is
handed to the function registered for it.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import re
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .context import CheckResult, EpisodeContext
from .schema import (
    AnswerCheck,
    AnyCheck,
    DomCheck,
    FileCheck,
    FileSpec,
    InfeasibleCheck,
    PythonCheck,
    SqlCheck,
    UrlCheck,
    check_kind,
)

#: ``file:`` option name -> function(spec, path, ctx) -> CheckResult.
FileOption = Callable[[FileSpec, Path, EpisodeContext], CheckResult]
FILE_OPTIONS: dict[str, FileOption] = {}
#: Modules that register file options when imported (optional parts; missing ones are skipped).
FILE_OPTION_MODULES = ["guiagent.eval.file_formats"]
_PAGE_TIMEOUT_MS = 2000


def register_file_option(name: str, function: FileOption) -> None:
    """Let ``file: {path: ..., NAME: ...}`` checks be decided by ``function``."""
    FILE_OPTIONS[name] = function


def load_file_options() -> dict[str, FileOption]:
    """Import the modules that register file options; return the registry."""
    for module in FILE_OPTION_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return FILE_OPTIONS


def run_checks(checks: list[Any], ctx: EpisodeContext) -> list[CheckResult]:
    """Run every check (all of them, even after a failure: the evidence is the point)."""
    return [run_check(check, ctx) for check in checks]


def run_check(check: BaseModel, ctx: EpisodeContext) -> CheckResult:
    """One check's verdict; an exception while looking becomes a failed check with its reason."""
    kind = check_kind(check)
    try:
        return _CHECKERS[type(check)](check, ctx)
    except Exception as exc:  # noqa: BLE001 - a check that cannot look has failed, with the reason
        return CheckResult(kind=kind, passed=False, message=f"{type(exc).__name__}: {exc}"[:2000])


def _url(check: UrlCheck, ctx: EpisodeContext) -> CheckResult:
    spec, found = check.url, ctx.final_url
    if spec.equals is not None:
        want = ctx.expand(spec.equals)
        ok = found is not None and found.rstrip("/") == want.rstrip("/")
        return CheckResult(kind="url", passed=ok, expected=want, found=found)
    pattern = ctx.expand(spec.matches or "")
    ok = found is not None and re.search(pattern, found) is not None
    return CheckResult(kind="url", passed=ok, expected={"matches": pattern}, found=found)


def _norm(text: str, case_sensitive: bool) -> str:
    text = " ".join(text.split())
    return text if case_sensitive else text.casefold()


_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")


def _answer(check: AnswerCheck, ctx: EpisodeContext) -> CheckResult:
    spec, answer = check.answer, ctx.answer
    expected = spec.model_dump(exclude_none=True, exclude_defaults=True)
    if answer is None:
        return CheckResult(kind="answer", passed=False, expected=expected, found=None,
                           message=f"the agent gave no answer (outcome {ctx.outcome})")
    cs, got, problems = spec.case_sensitive, _norm(answer, spec.case_sensitive), []
    if spec.exact is not None and got != _norm(spec.exact, cs):
        problems.append("not the exact answer")
    for part in spec.includes or []:
        if _norm(part, cs) not in got:
            problems.append(f"does not include {part!r}")
    if spec.matches is not None and not re.search(spec.matches, answer,
                                                  0 if cs else re.IGNORECASE):
        problems.append("does not match the pattern")
    if spec.number is not None:
        numbers = [float(n.replace(",", "")) for n in _NUMBER.findall(answer)]
        if not any(math.isclose(n, spec.number, abs_tol=spec.tolerance or 1e-9) for n in numbers):
            problems.append(f"no number within {spec.tolerance} of {spec.number} (found {numbers})")
    return CheckResult(kind="answer", passed=not problems, expected=expected, found=answer,
                       message="; ".join(problems))


def _dom(check: DomCheck, ctx: EpisodeContext) -> CheckResult:
    spec = check.dom
    if ctx.page is None:
        return CheckResult(kind="dom", passed=False, message="no browser page in this episode")
    loc = ctx.page.locator(spec.selector)
    count = loc.count()
    expected = spec.model_dump(exclude_none=True)
    if spec.count is not None:
        if count != spec.count:
            return CheckResult(kind="dom", passed=False, expected=expected, found={"count": count},
                               message=f"{count} element(s) match, not {spec.count}")
        if spec.text is None and spec.exact_text is None and spec.value is None:
            return CheckResult(kind="dom", passed=True, expected=expected, found={"count": count})
    if count == 0:
        return CheckResult(kind="dom", passed=False, expected=expected, found=None,
                           message=f"no element matches {spec.selector!r} on {ctx.final_url}")
    first = loc.first
    found: dict[str, Any] = {}
    problems = []
    if spec.text is not None or spec.exact_text is not None:
        text = " ".join(first.inner_text(timeout=_PAGE_TIMEOUT_MS).split())
        found["text"] = text[:500]
        if spec.text is not None and " ".join(spec.text.split()) not in text:
            problems.append(f"the text does not contain {spec.text!r}")
        if spec.exact_text is not None and text != " ".join(spec.exact_text.split()):
            problems.append(f"the text is not {spec.exact_text!r}")
    if spec.value is not None:
        value = first.input_value(timeout=_PAGE_TIMEOUT_MS)
        found["value"] = value
        if value != spec.value:
            problems.append(f"the value is not {spec.value!r}")
    return CheckResult(kind="dom", passed=not problems, expected=expected, found=found,
                       message="; ".join(problems))


def _plain(value: Any) -> Any:
    """SQLite values as JSON-comparable data (tuples -> lists, bytes -> text)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _same_row(got: list[Any], want: list[Any]) -> bool:
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        if isinstance(w, dict | list) and isinstance(g, str):
            try:
                g = json.loads(g)
            except json.JSONDecodeError:
                return False
        if isinstance(g, int | float) and isinstance(w, int | float) and not isinstance(g, bool):
            if not math.isclose(g, w, abs_tol=1e-9):
                return False
        elif g != w:
            return False
    return True


def _sql(check: SqlCheck, ctx: EpisodeContext) -> CheckResult:
    spec = check.sql
    if ctx.db_path is None:
        return CheckResult(kind="sql", passed=False, expected=spec.expect,
                           message="this episode has no web sandbox database (url without {sandbox}?)")
    uri = Path(ctx.db_path).resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
        conn.execute("PRAGMA query_only = ON")
        rows = [[_plain(v) for v in row] for row in conn.execute(spec.query).fetchmany(1000)]
    want = spec.expect
    if spec.ordered:
        ok = len(rows) == len(want) and all(_same_row(g, w) for g, w in zip(rows, want, strict=True))
    else:
        remaining = list(rows)
        ok = len(rows) == len(want)
        for w in want:
            match = next((g for g in remaining if _same_row(g, w)), None)
            if match is None:
                ok = False
                break
            remaining.remove(match)
    return CheckResult(kind="sql", passed=ok, expected=want, found=rows[:50],
                       message="" if ok else f"the query returned {len(rows)} row(s) that differ")


def _file(check: FileCheck, ctx: EpisodeContext) -> CheckResult:
    spec = check.file
    path = ctx.work_file(spec.path)
    expected = spec.model_dump(exclude_none=True, exclude_defaults=True) | {"path": spec.path}
    if not path.exists():
        return CheckResult(kind="file", passed=not spec.exists, expected=expected,
                           found={"exists": False},
                           message="" if not spec.exists else f"{spec.path} does not exist")
    if not spec.exists:
        return CheckResult(kind="file", passed=False, expected=expected, found={"exists": True},
                           message=f"{spec.path} exists but should not")
    problems: list[str] = []
    found: dict[str, Any] = {"exists": True, "bytes": path.stat().st_size}
    if spec.equals is not None or spec.contains is not None or spec.matches is not None:
        text = path.read_text(encoding="utf-8", errors="replace")
        found["text"] = text[:500]
        if spec.equals is not None and text.strip() != spec.equals.strip():
            problems.append("the text differs")
        contains = [spec.contains] if isinstance(spec.contains, str) else spec.contains or []
        problems += [f"does not contain {part!r}" for part in contains if part not in text]
        if spec.matches is not None and not re.search(spec.matches, text):
            problems.append("does not match the pattern")
    options = load_file_options()
    for name in spec.options:
        if name not in options:
            problems.append(f"unknown file option {name!r} (known: {', '.join(sorted(options))})")
            continue
        sub = options[name](spec, path, ctx)
        found[name] = sub.found
        if not sub.passed:
            problems.append(sub.message or f"{name} does not hold")
    return CheckResult(kind="file", passed=not problems, expected=expected, found=found,
                       message="; ".join(problems))


def _infeasible(check: InfeasibleCheck, ctx: EpisodeContext) -> CheckResult:
    ok = ctx.outcome == "failed"
    return CheckResult(kind="infeasible", passed=ok, expected="FAIL", found=ctx.outcome,
                       message="" if ok else "the task is infeasible; the agent should answer FAIL")


def resolve_function(name: str, base_dir: Path | None = None) -> Callable[..., Any]:
    """``package.module:function`` -> the function; a module may also be a .py file beside the suite."""
    module_name, _, attr = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        local = base_dir / (module_name.replace(".", "/") + ".py") if base_dir else None
        if exc.name != module_name.split(".")[0] or local is None or not local.is_file():
            raise
        spec = importlib.util.spec_from_file_location(f"guiagent_suite_{module_name}", local)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    function = getattr(module, attr, None)
    if not callable(function):
        raise AttributeError(f"{module_name} has no function {attr!r}")
    return function


def _python(check: PythonCheck, ctx: EpisodeContext) -> CheckResult:
    spec = check.python
    verdict = resolve_function(spec.function, ctx.task.base_dir)(ctx, **spec.args)
    if isinstance(verdict, CheckResult):
        return verdict
    evidence: Any = None
    if isinstance(verdict, tuple):
        verdict, evidence = verdict[0], (verdict[1] if len(verdict) > 1 else None)
    return CheckResult(kind="python", passed=bool(verdict), expected=spec.function, found=evidence,
                       message="" if verdict else f"{spec.function} returned a failing verdict")


def _any(check: AnyCheck, ctx: EpisodeContext) -> CheckResult:
    results = [run_check(c, ctx) for c in check.any]
    ok = any(r.passed for r in results)
    return CheckResult(kind="any", passed=ok, expected=f"one of {len(results)} alternatives",
                       found=[r.model_dump() for r in results],
                       message="" if ok else "no alternative holds")


_CHECKERS: dict[type, Callable[[Any, EpisodeContext], CheckResult]] = {
    UrlCheck: _url, AnswerCheck: _answer, DomCheck: _dom, SqlCheck: _sql, FileCheck: _file,
    InfeasibleCheck: _infeasible, PythonCheck: _python, AnyCheck: _any,
}


def is_infeasible(task_checks: list[Any]) -> bool:
    """Whether a task's checks declare it infeasible (then FAIL is the right outcome)."""
    return any(isinstance(c, InfeasibleCheck) for c in task_checks)
