"""Reading office documents for checks: spreadsheet cells and document paragraphs.

An office task is judged on the file the agent saved, never on what it said.
Spreadsheets are read with openpyxl (.xlsx, .xlsm); computed values come from
the values the saving application cached (LibreOffice and Excel both store
them), formulas from the cell itself. Documents: .docx with python-docx,
.odt (what LibreOffice Writer saves by default) from its ``content.xml`` with
the standard library, since an OpenDocument text body is a plain XML tree of
``text:p``/``text:h`` elements and needs no dependency.

Every check returns a :class:`FileVerdict` holding what was expected and what
was found, so a failed episode says *why* (``B4 = 6, expected 7``).
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ..errors import ConfigError

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
DOCUMENT_SUFFIXES = (".docx", ".odt")
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_RANGE_REF = re.compile(r"^\$?[A-Za-z]{1,3}\$?\d{1,7}:\$?[A-Za-z]{1,3}\$?\d{1,7}$")


class UnreadableFileError(Exception):
    """The file exists but is not the document its name says (a failed check, not a bad task)."""


@dataclass
class FileVerdict:
    """One check on one file: passed or not, and the evidence."""

    passed: bool
    expected: Any
    found: Any
    message: str


# -- spreadsheets ------------------------------------------------------------------
def _require_openpyxl() -> Any:
    try:
        import openpyxl  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - in the office extra
        raise ConfigError("checking .xlsx files needs openpyxl: pip install 'guiagent[office]'") \
            from exc
    return openpyxl


def _workbook(path: Path, *, formulas: bool) -> Any:
    if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        raise UnreadableFileError(f"{path.name} is not an .xlsx workbook (cells can be checked in "
                                  f"{', '.join(SPREADSHEET_SUFFIXES)} files)")
    openpyxl = _require_openpyxl()
    try:
        return openpyxl.load_workbook(path, data_only=not formulas, read_only=False)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, ...
        raise UnreadableFileError(f"{path.name} is not a readable .xlsx workbook: "
                                  f"{type(exc).__name__}: {exc}") from exc


def _sheet(book: Any, name: str | None) -> Any:
    if name is None:
        return book.worksheets[0]
    if name not in book.sheetnames:
        raise UnreadableFileError(f"no sheet {name!r}; the workbook has {book.sheetnames}")
    return book[name]


def check_cell_ref(ref: str) -> str:
    """``'b4'`` -> ``'B4'``; a ConfigError for anything that is not one cell."""
    match = _CELL_REF.match(ref.strip())
    if match is None:
        raise ConfigError(f"bad cell reference {ref!r}: expected a column and row such as B4")
    return f"{match.group(1).upper()}{match.group(2)}"


def check_range_ref(ref: str) -> str:
    """``'a1:b3'`` -> ``'A1:B3'``; a ConfigError for anything that is not a range."""
    if _RANGE_REF.match(ref.strip()) is None:
        raise ConfigError(f"bad cell range {ref!r}: expected two corners such as A1:B3")
    return ref.strip().replace("$", "").upper()


def same_value(found: Any, expected: Any, tolerance: float = 1e-9) -> bool:
    """Cell equality as a person means it: 7 == 7.0, numbers within ``tolerance``.

    Text compares exactly after trimming surrounding spaces; an empty cell is
    ``None`` and equals an expected ``None`` or ``""``.
    """
    if expected is None or expected == "":
        return found is None or (isinstance(found, str) and found.strip() == "")
    if isinstance(expected, bool) or isinstance(found, bool):
        return type(found) is type(expected) and found == expected
    if isinstance(expected, int | float) and isinstance(found, int | float):
        return math.isclose(float(found), float(expected), rel_tol=0, abs_tol=tolerance)
    if isinstance(expected, str) and isinstance(found, str):
        return found.strip() == expected.strip()
    return str(found).strip() == str(expected).strip()


def _plain(value: Any) -> Any:
    """A cell value as evidence: JSON-friendly, whole floats as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return str(value)


def read_cells(path: Path, refs: Sequence[str], *, sheet: str | None = None,
               formulas: bool = False) -> dict[str, Any]:
    """Values (or formulas) of single cells, by reference."""
    book = _workbook(path, formulas=formulas)
    ws = _sheet(book, sheet)
    return {ref: _plain(ws[check_cell_ref(ref)].value) for ref in refs}


def read_range(path: Path, ref: str, *, sheet: str | None = None) -> list[list[Any]]:
    """Computed values of a rectangular range, row by row."""
    book = _workbook(path, formulas=False)
    ws = _sheet(book, sheet)
    return [[_plain(c.value) for c in row] for row in ws[check_range_ref(ref)]]


def check_cells(path: Path, expected: Mapping[str, Any], *, sheet: str | None = None,
                tolerance: float = 1e-9) -> FileVerdict:
    """Each named cell holds the expected (computed) value."""
    found = read_cells(path, list(expected), sheet=sheet)
    wrong = [f"{ref} = {found[ref]!r}, expected {want!r}" for ref, want in expected.items()
             if not same_value(found[ref], want, tolerance)]
    return FileVerdict(not wrong, dict(expected), found,
                       "; ".join(wrong) if wrong else f"{len(expected)} cell(s) hold their values")


def _formula_text(value: Any) -> str:
    return re.sub(r"\s+", "", str(value or "")).upper().lstrip("=")


def check_formulas(path: Path, expected: Mapping[str, str], *,
                   sheet: str | None = None) -> FileVerdict:
    """Each named cell holds the formula (case and spaces ignored, leading ``=`` optional)."""
    found = read_cells(path, list(expected), sheet=sheet, formulas=True)
    wrong = [f"{ref} holds {found[ref]!r}, expected ={_formula_text(want)}"
             for ref, want in expected.items()
             if not str(found[ref] or "").startswith("=")
             or _formula_text(found[ref]) != _formula_text(want)]
    return FileVerdict(not wrong, dict(expected), found,
                       "; ".join(wrong) if wrong else f"{len(expected)} formula(s) as expected")


def check_range(path: Path, ref: str, expected: Sequence[Sequence[Any]], *,
                sheet: str | None = None, tolerance: float = 1e-9) -> FileVerdict:
    """A range holds exactly these rows of values."""
    found = read_range(path, ref, sheet=sheet)
    rows_ok = len(found) == len(expected) and all(
        len(f) == len(e) and all(same_value(a, b, tolerance) for a, b in zip(f, e, strict=True))
        for f, e in zip(found, expected, strict=True))
    wanted = [list(r) for r in expected]
    if rows_ok:
        return FileVerdict(True, wanted, found, f"{ref.upper()} holds the expected values")
    if len(found) != len(expected) or any(len(f) != len(e) for f, e in zip(found, expected,
                                                                         strict=False)):
        return FileVerdict(False, wanted, found,
                           f"{ref.upper()} is {len(found)}x{len(found[0]) if found else 0} cells "
                           "but the expected values have another shape")
    first = next(i for i, (f, e) in enumerate(zip(found, expected, strict=True))
                 if not all(same_value(a, b, tolerance) for a, b in zip(f, e, strict=True)))
    return FileVerdict(False, wanted, found,
                       f"row {first + 1} of {ref.upper()} is {found[first]}, expected "
                       f"{list(expected[first])}")


# -- documents -----------------------------------------------------------------------
def _odt_text(element: ElementTree.Element) -> Iterator[str]:
    """Text of an ODF paragraph, with ``text:s``/``text:tab``/``text:line-break`` spelled out."""
    if element.text:
        yield element.text
    for child in element:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "s":
            yield " " * int(child.get(f"{{{_TEXT_NS}}}c", "1"))
        elif tag == "tab":
            yield "\t"
        elif tag == "line-break":
            yield "\n"
        elif tag not in ("note", "annotation"):  # footnote bodies are not the paragraph's text
            yield from _odt_text(child)
        if child.tail:
            yield child.tail


def odt_paragraphs(path: Path) -> list[str]:
    """Paragraphs and headings of an .odt body, in document order (tables included)."""
    try:
        with zipfile.ZipFile(path) as odt:
            root = ElementTree.fromstring(odt.read("content.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        raise UnreadableFileError(f"{path.name} is not a readable .odt document: {exc}") from exc
    body = root.find(f"{{{_OFFICE_NS}}}body/{{{_OFFICE_NS}}}text")
    if body is None:
        raise UnreadableFileError(f"{path.name} has no text body (is it a spreadsheet?)")
    wanted = {f"{{{_TEXT_NS}}}p", f"{{{_TEXT_NS}}}h"}
    return ["".join(_odt_text(el)) for el in body.iter() if el.tag in wanted]


def docx_paragraphs(path: Path) -> list[str]:
    """Paragraphs of a .docx body, then those in its tables."""
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - in the office extra
        raise ConfigError("checking .docx files needs python-docx: pip install "
                          "'guiagent[office]'") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # PackageNotFoundError, BadZipFile, KeyError, ...
        raise UnreadableFileError(f"{path.name} is not a readable .docx document: "
                                  f"{type(exc).__name__}: {exc}") from exc
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    return texts


def document_paragraphs(path: Path) -> list[str]:
    """Paragraph texts of a .docx or .odt file."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return docx_paragraphs(path)
    if suffix == ".odt":
        return odt_paragraphs(path)
    raise UnreadableFileError(f"{path.name} is not a document (paragraphs can be checked in "
                              f"{', '.join(DOCUMENT_SUFFIXES)} files)")


def _squash(text: str) -> str:
    return " ".join(text.split())


def check_paragraph(path: Path, contains: str) -> FileVerdict:
    """Some paragraph contains ``contains`` (runs of white space count as one space)."""
    paragraphs = [p for p in document_paragraphs(path) if p.strip()]
    wanted = _squash(contains)
    hit = next((p for p in paragraphs if wanted in _squash(p)), None)
    if hit is not None:
        return FileVerdict(True, contains, hit, "a paragraph holds the text")
    shown = paragraphs[:10]
    return FileVerdict(False, contains, shown,
                       f"none of the {len(paragraphs)} non-empty paragraph(s) holds {contains!r}")


def check_paragraphs(path: Path, expected: Sequence[str]) -> FileVerdict:
    """The non-empty paragraphs are exactly these, in order."""
    found = [_squash(p) for p in document_paragraphs(path) if p.strip()]
    wanted = [_squash(p) for p in expected]
    if found == wanted:
        return FileVerdict(True, list(expected), found, f"{len(found)} paragraph(s) as expected")
    return FileVerdict(False, list(expected), found,
                       f"the document has {len(found)} non-empty paragraph(s); expected "
                       f"{len(wanted)} with the given texts")
