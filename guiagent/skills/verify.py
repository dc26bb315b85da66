"""A skill's ``verify:`` section: read the effect back and compare it with what was asked.

Every step of a skill can succeed while the result is still wrong (an
application that dropped a row while starting, a save that wrote an older
state), so a skill that can read its effect back says how, and a mismatch fails
the run with a diff instead of reporting done::

    verify:
      - file: {path: "{{ path }}", xlsx_equals: "{{ table }}"}
      - file: {path: "{{ path }}", text_equals: "{{ text }}"}
      - screen: {text_visible: "Thank you"}

The comparisons are kept here, in one small place, so they can move onto the
evaluation checks (``guiagent/eval``) when those land.
"""

from __future__ import annotations

import difflib
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import ConfigError, SkillStepError

POLL_SECONDS = 0.3


class VerificationError(SkillStepError):
    """The skill's steps ran, but reading the effect back did not show what was asked."""


class FileCheck(BaseModel):
    """``file:`` a file the skill wrote: it exists, and its text or sheet is as expected."""

    model_config = ConfigDict(extra="forbid")

    path: str
    text_equals: str | None = None    # line by line, line endings and a final newline ignored
    text_contains: str | None = None
    xlsx_equals: Any = None           # rows (a csv parameter) the first sheet must hold
    sheet: str | None = None          # another sheet than the first
    timeout: float = Field(default=15.0, gt=0)  # the app may still be writing it


class ScreenCheck(BaseModel):
    """``screen:`` text that must show (or not) once the skill is done."""

    model_config = ConfigDict(extra="forbid")

    text_visible: str | None = None
    text_absent: str | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ScreenCheck:
        if not (self.text_visible or self.text_absent):
            raise ValueError("screen needs text_visible or text_absent")
        return self


class VerifyItem(BaseModel):
    """One check: exactly one of ``file`` or ``screen``."""

    model_config = ConfigDict(extra="forbid")

    file: FileCheck | None = None
    screen: ScreenCheck | None = None
    when: str | None = None  # template; the check is skipped when it renders falsy

    @model_validator(mode="after")
    def _one(self) -> VerifyItem:
        if (self.file is None) == (self.screen is None):
            raise ValueError("a verify item needs exactly one of: file, screen")
        return self


def _cell_matches(found: Any, wanted: Any) -> bool:
    if wanted in ("", None):
        return found in ("", None)
    if found is None:
        return False
    if isinstance(found, bool) or not isinstance(found, int | float):
        return str(found).strip().casefold() == str(wanted).strip().casefold()
    try:
        return abs(float(str(wanted).replace(",", "")) - float(found)) <= 1e-9 * max(
            1.0, abs(float(found)))
    except ValueError:
        return False


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows without trailing empty cells, the table without trailing empty rows."""
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] in ("", None):
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def _diff(wanted: list[str], found: list[str]) -> str:
    lines = difflib.unified_diff(wanted, found, "expected", "found", lineterm="", n=1)
    return "\n".join(lines)


def read_sheet(path: Path, sheet: str | None = None) -> list[list[Any]]:
    """Cell values of a sheet (formulas as written, e.g. ``=SUM(B2:B4)``)."""
    try:
        import openpyxl  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ConfigError("checking an .xlsx file needs openpyxl: pip install "
                          "'guiagent[office]'") from exc
    try:
        book = openpyxl.load_workbook(path)
    except Exception as exc:  # noqa: BLE001 - a half-written or foreign file
        raise VerificationError(f"{path} is not a readable .xlsx file: {exc}") from exc
    if sheet is not None and sheet not in book.sheetnames:
        raise VerificationError(f"{path} has no sheet {sheet!r} (sheets: {book.sheetnames})")
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    return [[c.value for c in row] for row in ws.iter_rows()]


def compare_sheet(found: list[list[Any]], wanted: Any) -> str | None:
    """None if the sheet holds exactly ``wanted`` (rows of cells), else a diff."""
    if not isinstance(wanted, list) or not all(isinstance(r, list | tuple) for r in wanted):
        raise ConfigError("xlsx_equals needs rows: a csv parameter or a list of lists")
    want, got = _trim([list(r) for r in wanted]), _trim(found)
    same = len(want) == len(got) and all(
        len(w) == len(g) and all(_cell_matches(f, x) for f, x in zip(g, w, strict=True))
        for w, g in zip(want, got, strict=True))
    if same:
        return None
    return _diff([repr(r) for r in want], [repr(r) for r in got])


def compare_text(found: str, wanted: str) -> str | None:
    """None if the lines are the same (line endings and trailing newlines aside)."""
    want, got = wanted.splitlines(), found.lstrip("\ufeff").splitlines()
    while got and not got[-1].strip():
        got.pop()
    while want and not want[-1].strip():
        want.pop()
    return None if want == got else _diff(want, got)


def check_file(spec: FileCheck, path: Path, wanted_rows: Any = None,
               wanted_text: str | None = None, contains: str | None = None) -> str:
    """Poll until the file matches or ``spec.timeout`` passes; return what was checked.

    Raises VerificationError with the last difference seen.
    """
    deadline = time.monotonic() + spec.timeout
    problem = f"{path} does not exist"
    while True:
        if path.is_file() and path.stat().st_size > 0:
            try:
                problem = _file_problem(spec, path, wanted_rows, wanted_text, contains) or ""
            except VerificationError as exc:
                problem = str(exc)
            if not problem:
                what = ("sheet" if wanted_rows is not None else
                        "text" if wanted_text is not None or contains else "file")
                return f"{path}: the {what} is as expected"
        if time.monotonic() >= deadline:
            raise VerificationError(f"verify: {problem}")
        time.sleep(POLL_SECONDS)


def _file_problem(spec: FileCheck, path: Path, wanted_rows: Any, wanted_text: str | None,
                  contains: str | None) -> str | None:
    if wanted_rows is not None:
        diff = compare_sheet(read_sheet(path, spec.sheet), wanted_rows)
        if diff:
            return f"{path} does not hold the table that was entered:\n{diff}"
    if wanted_text is not None or contains:
        text = path.read_text(encoding="utf-8", errors="replace")
        if wanted_text is not None and (diff := compare_text(text, wanted_text)):
            return f"{path} does not hold the text that was written:\n{diff}"
        if contains and contains not in text:
            return f"{path} does not contain {contains!r}"
    return None
