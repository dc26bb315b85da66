"""File checks on office documents: .xlsx cells, ranges and formulas, .docx/.odt paragraphs."""

from __future__ import annotations

import shutil
import subprocess
import zipfile

import pytest

from guiagent.errors import ConfigError
from guiagent.eval.office_files import (
    UnreadableFileError,
    check_cells,
    check_formulas,
    check_paragraph,
    check_paragraphs,
    check_range,
    document_paragraphs,
    same_value,
)

openpyxl = pytest.importorskip("openpyxl")
docx = pytest.importorskip("docx")


@pytest.fixture
def sheet(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    for row in (["Fruit", "Count"], ["Äpfel", 3], ["Birnen", 4.0], ["Total", "=SUM(B2:B3)"]):
        ws.append(row)
    other = book.create_sheet("Prices")
    other["A1"] = 2.5
    path = tmp_path / "fruit.xlsx"
    book.save(path)
    return path


def test_cells_compare_numbers_as_numbers_and_report_what_was_found(sheet):
    ok = check_cells(sheet, {"A2": "Äpfel", "b2": 3.0, "B3": 4})
    assert ok.passed, ok.message
    bad = check_cells(sheet, {"A1": "Fruit", "B2": 5})
    assert not bad.passed
    assert bad.found == {"A1": "Fruit", "B2": 3}
    assert bad.message == "B2 = 3, expected 5"


def test_cells_on_a_named_sheet_and_a_missing_sheet(sheet):
    assert check_cells(sheet, {"A1": 2.5}, sheet="Prices").passed
    with pytest.raises(UnreadableFileError, match="no sheet 'Nope'"):
        check_cells(sheet, {"A1": 1}, sheet="Nope")


def test_range_rows_and_shape_mismatch(sheet):
    assert check_range(sheet, "A1:B3", [["Fruit", "Count"], ["Äpfel", 3], ["Birnen", 4]]).passed
    wrong = check_range(sheet, "A1:B2", [["Fruit", "Count"], ["Apfel", 3]])
    assert not wrong.passed and "row 2 of A1:B2" in wrong.message
    assert wrong.found == [["Fruit", "Count"], ["Äpfel", 3]]
    shape = check_range(sheet, "A1:B2", [["Fruit", "Count"]])
    assert not shape.passed and "another shape" in shape.message


def test_formulas_ignore_case_and_spaces_but_not_a_plain_value(sheet):
    assert check_formulas(sheet, {"B4": "sum(b2: b3)"}).passed
    assert check_formulas(sheet, {"B4": "=SUM(B2:B3)"}).passed
    plain = check_formulas(sheet, {"B2": "3"})
    assert not plain.passed and "B2 holds 3" in plain.message


def test_bad_references_are_config_errors(sheet):
    with pytest.raises(ConfigError, match="bad cell reference"):
        check_cells(sheet, {"B": 1})
    with pytest.raises(ConfigError, match="bad cell range"):
        check_range(sheet, "A1", [[1]])


def test_a_file_that_is_not_a_workbook_is_a_failed_check_not_a_crash(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    with pytest.raises(UnreadableFileError, match="not a readable .xlsx"):
        check_cells(fake, {"A1": 1})
    ods = tmp_path / "sheet.ods"
    ods.write_bytes(b"")
    with pytest.raises(UnreadableFileError, match="not an .xlsx workbook"):
        check_cells(ods, {"A1": 1})


def test_same_value_rules():
    assert same_value(7.0, 7) and same_value(7.000001, 7, tolerance=0.001)
    assert not same_value(7.1, 7)
    assert same_value(None, "") and same_value(None, None) and not same_value(0, None)
    assert same_value(" x ", "x") and not same_value("X", "x")
    assert not same_value(True, 1)


def test_docx_paragraphs_including_tables(tmp_path):
    document = docx.Document()
    document.add_paragraph("Dear Ada,")
    document.add_paragraph("")
    document.add_paragraph("Thank you   for the notes.")
    table = document.add_table(rows=1, cols=1)
    table.cell(0, 0).text = "in a table"
    path = tmp_path / "letter.docx"
    document.save(path)
    assert document_paragraphs(path)[:3] == ["Dear Ada,", "", "Thank you   for the notes."]
    assert check_paragraph(path, "Thank you for the notes").passed  # white space squashed
    assert check_paragraph(path, "in a table").passed
    missing = check_paragraph(path, "Dear Bob")
    assert not missing.passed and missing.found[0] == "Dear Ada,"
    assert check_paragraphs(path, ["Dear Ada,", "Thank you for the notes.", "in a table"]).passed
    order = check_paragraphs(path, ["Thank you for the notes.", "Dear Ada,", "in a table"])
    assert not order.passed and "3 non-empty" in order.message


def test_odt_spaces_tabs_spans_and_headings(tmp_path):
    """content.xml as ODF writes it: text:s for runs of spaces, spans, headings, notes."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        '<text:h>Title</text:h>'
        '<text:p>a<text:s text:c="3"/>b<text:tab/>c <text:span>span</text:span> tail'
        '<text:note><text:note-body><text:p>footnote</text:p></text:note-body></text:note></text:p>'
        '</office:text></office:body></office:document-content>')
    path = tmp_path / "doc.odt"
    with zipfile.ZipFile(path, "w") as odt:
        odt.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        odt.writestr("content.xml", content)
    paragraphs = document_paragraphs(path)
    assert paragraphs[:2] == ["Title", "a   b\tc span tail"]
    assert check_paragraph(path, "c span tail").passed


def test_unknown_document_type(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("x")
    with pytest.raises(UnreadableFileError, match="not a document"):
        check_paragraph(path, "x")


@pytest.mark.office
def test_files_saved_by_libreoffice(tmp_path):
    """What LibreOffice really writes: cached formula values in .xlsx, its own .odt layout."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    book = openpyxl.Workbook()
    book.active.append([12])
    book.active.append([30])
    book.active.append(["=SUM(A1:A2)"])
    book.save(tmp_path / "in.xlsx")
    document = docx.Document()
    document.add_paragraph("Grüße aus Köln")
    document.add_paragraph("second  paragraph")
    document.save(tmp_path / "in.docx")
    out = tmp_path / "out"
    profile = (tmp_path / "profile").as_uri()
    for src, fmt in (("in.xlsx", "xlsx:Calc MS Excel 2007 XML"), ("in.docx", "odt")):
        subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless",
                        "--convert-to", fmt, "--outdir", str(out), str(tmp_path / src)],
                       check=True, capture_output=True, timeout=120)
    computed = check_cells(out / "in.xlsx", {"A3": 42})
    assert computed.passed, computed.message
    assert check_formulas(out / "in.xlsx", {"A3": "SUM(A1:A2)"}).passed
    assert check_paragraphs(out / "in.odt", ["Grüße aus Köln", "second paragraph"]).passed


# -- through the ``file:`` check of a task file ----------------------------------------------
def file_checks(tmp_path, checks_yaml):
    from guiagent.eval.checks import run_checks
    from guiagent.eval.context import EpisodeContext
    from guiagent.eval.tasks import parse_tasks

    (task,) = parse_tasks("- id: t\n  instruction: x\n  desktop: {apps: [calc]}\n  evaluate:\n"
                          + checks_yaml, str(tmp_path / "suite.yaml"))
    ctx = EpisodeContext(task=task, repeat=1, run_dir=tmp_path / "run", work_dir=tmp_path)
    return run_checks(task.evaluate, ctx)


def test_office_options_in_file_checks(tmp_path, sheet):
    document = docx.Document()
    document.add_paragraph("Dear Ada,")
    document.save(tmp_path / "letter.docx")
    results = file_checks(tmp_path, """\
    - file: {path: fruit.xlsx, range: {"A1:B2": [[Fruit, Count], [Äpfel, 3]]}}
    - file: {path: fruit.xlsx, cells: {"Prices!A1": 2.4}, tolerance: 0.2}
    - file: {path: fruit.xlsx, cells: {B2: 4, "Prices!A1": 2.5}}
    - file: {path: fruit.xlsx, formulas: {B4: "SUM(B2:B3)"}, cells: {A4: Total}}
    - file: {path: letter.docx, paragraph: "Dear Ada"}
    - file: {path: letter.docx, paragraphs: ["Dear Bob,"]}
    - file: {path: letter.docx, cells: {A1: 1}}
    - file: {path: missing.xlsx, cells: {A1: 1}}
""")
    assert [r.passed for r in results] == [True, True, False, True, True, False, False, False]
    wrong = results[2]
    assert wrong.found["cells"] == [{"B2": 3}, {"A1": 2.5}]  # evidence per sheet
    assert wrong.message == "B2 = 3, expected 4"
    assert results[5].found["paragraphs"] == ["Dear Ada,"]
    assert "not an .xlsx workbook" in results[6].message  # a check that fails, not a crash
    assert results[7].message == "missing.xlsx does not exist"


def test_tolerance_alone_compares_nothing_and_fails(tmp_path, sheet):
    [alone] = file_checks(tmp_path, """\
    - file: {path: fruit.xlsx, tolerance: 0.5}
""")
    assert not alone.passed
    assert "nothing was compared" in alone.message
