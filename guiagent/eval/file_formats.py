"""``file:`` check options for office documents, registered with the checks module.

Spellings (all keys optional; each one present must hold)::

    - file: {path: fruit.xlsx, range: {A1:B3: [[Fruit, Count], [Apples, 3], [Pears, 4]]}}
    - file: {path: budget.xlsx, cells: {B3: 350, "Budget!B5": 1400}, tolerance: 0.01}
    - file: {path: total.xlsx, formulas: {A4: "SUM(A1:A3)"}}
    - file: {path: note.odt, paragraph: "Meeting moved to Thursday"}
    - file: {path: letter.docx, paragraphs: ["Dear Ada,", "Thank you."]}

``cells`` compare the values the saving application computed (a formula's
result), ``formulas`` the formula text (case, spaces and the leading ``=``
ignored). A sheet is named as in a spreadsheet, ``Sheet!A1``; without one the
first sheet is read. ``paragraph`` holds when some paragraph contains the text,
``paragraphs`` when the non-empty paragraphs are exactly these. A file that is
not what its name says fails the check with the reason; it is not an error of
the task. Downloads land in the work folder too, so the same options check a
downloaded file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .checks import register_file_option
from .context import CheckResult, EpisodeContext
from .office_files import (
    FileVerdict,
    UnreadableFileError,
    check_cells,
    check_formulas,
    check_paragraph,
    check_paragraphs,
    check_range,
)
from .schema import FileSpec

DEFAULT_TOLERANCE = 1e-9


def _split_sheet(ref: str) -> tuple[str | None, str]:
    """``'Budget!B3'`` -> ('Budget', 'B3'); quotes around a sheet name are dropped."""
    if "!" in ref:
        sheet, cell = ref.rsplit("!", 1)
        return sheet.strip("'"), cell
    return None, ref


def _by_sheet(mapping: Any, option: str) -> dict[str | None, dict[str, Any]]:
    if not isinstance(mapping, dict) or not mapping:
        raise ConfigError(f"file option {option!r} takes a mapping of cell references, "
                          f"e.g. {option}: {{B3: 350}}")
    groups: dict[str | None, dict[str, Any]] = {}
    for ref, value in mapping.items():
        sheet, cell = _split_sheet(str(ref))
        groups.setdefault(sheet, {})[cell] = value
    return groups


def _tolerance(spec: FileSpec) -> float:
    value = spec.options.get("tolerance", DEFAULT_TOLERANCE)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"file option 'tolerance' must be a number >= 0, not {value!r}")
    return float(value)


def _merge(kind: str, verdicts: list[FileVerdict]) -> CheckResult:
    passed = all(v.passed for v in verdicts)
    found = verdicts[0].found if len(verdicts) == 1 else [v.found for v in verdicts]
    expected = verdicts[0].expected if len(verdicts) == 1 else [v.expected for v in verdicts]
    message = "; ".join(v.message for v in verdicts if not v.passed)
    return CheckResult(kind=kind, passed=passed, expected=expected, found=found, message=message)


def _guarded(kind: str, run: Callable[[FileSpec, Path], list[FileVerdict]]
             ) -> Callable[[FileSpec, Path, EpisodeContext], CheckResult]:
    def option(spec: FileSpec, path: Path, ctx: EpisodeContext) -> CheckResult:
        try:
            return _merge(kind, run(spec, path))
        except UnreadableFileError as exc:
            return CheckResult(kind=kind, passed=False, expected=spec.options.get(kind),
                               found=None, message=str(exc))
    return option


def _cells(spec: FileSpec, path: Path) -> list[FileVerdict]:
    tol = _tolerance(spec)
    return [check_cells(path, cells, sheet=sheet, tolerance=tol)
            for sheet, cells in _by_sheet(spec.options["cells"], "cells").items()]


def _formulas(spec: FileSpec, path: Path) -> list[FileVerdict]:
    return [check_formulas(path, {k: str(v) for k, v in cells.items()}, sheet=sheet)
            for sheet, cells in _by_sheet(spec.options["formulas"], "formulas").items()]


def _range(spec: FileSpec, path: Path) -> list[FileVerdict]:
    tol = _tolerance(spec)
    ranges = spec.options["range"]
    if not isinstance(ranges, dict) or not ranges:
        raise ConfigError("file option 'range' takes a mapping of range -> rows, "
                          "e.g. range: {A1:B2: [[Fruit, Count], [Apples, 3]]}")
    verdicts = []
    for ref, rows in ranges.items():
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ConfigError(f"range {ref!r}: give the expected values as a list of rows")
        sheet, cells = _split_sheet(str(ref))
        verdicts.append(check_range(path, cells, rows, sheet=sheet, tolerance=tol))
    return verdicts


def _paragraph(spec: FileSpec, path: Path) -> list[FileVerdict]:
    wanted = spec.options["paragraph"]
    texts = [wanted] if isinstance(wanted, str) else wanted
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ConfigError("file option 'paragraph' takes a text (or a list of texts)")
    return [check_paragraph(path, text) for text in texts]


def _paragraphs(spec: FileSpec, path: Path) -> list[FileVerdict]:
    wanted = spec.options["paragraphs"]
    if not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted):
        raise ConfigError("file option 'paragraphs' takes a list of texts")
    return [check_paragraphs(path, wanted)]


def _tolerance_option(spec: FileSpec, path: Path, ctx: EpisodeContext) -> CheckResult:
    """``tolerance`` only qualifies ``cells`` and ``range``: alone it checks nothing, so it fails."""
    qualified = bool({"cells", "range"} & set(spec.options))
    return CheckResult(kind="tolerance", passed=qualified, expected=_tolerance(spec), found=None,
                       message="" if qualified else "tolerance qualifies cells or range; this "
                       "check names neither, so nothing was compared")


register_file_option("cells", _guarded("cells", _cells))
register_file_option("formulas", _guarded("formulas", _formulas))
register_file_option("range", _guarded("range", _range))
register_file_option("paragraph", _guarded("paragraph", _paragraph))
register_file_option("paragraphs", _guarded("paragraphs", _paragraphs))
register_file_option("tolerance", _tolerance_option)
