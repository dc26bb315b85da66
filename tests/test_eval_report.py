"""The results report (rendered in Chromium, filters working, hostile text inert) and compare."""

import json

import pytest
from typer.testing import CliRunner

from guiagent.cli.main import app
from guiagent.eval.compare import compare_results, fisher_exact
from guiagent.eval.context import CheckResult
from guiagent.eval.episode import EpisodeResult
from guiagent.eval.report import write_eval_report
from guiagent.eval.results import ResultsWriter, read_results, wilson, write_summary

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def result(task, repeat, success, tags=(), **kw):
    base = dict(task=task, repeat=repeat, success=success, outcome="done" if success else "failed",
                steps=3, seconds=1.5, tokens=100, tags=list(tags),
                run_dir=f"episodes/{task}-r{repeat}/run", category=None if success else "gave_up")
    return EpisodeResult(**(base | kw))


def write_folder(out, results):
    with ResultsWriter(out) as w:
        for r in results:
            w.write(r)
            if r.run_dir is None:
                continue
            run = out / r.run_dir
            run.mkdir(parents=True, exist_ok=True)
            (run / "report.html").write_text(f"<title>episode {r.task} r{r.repeat}</title>")
    write_summary(out, read_results(out), {"suite": "demo"})
    return write_eval_report(out)


def test_wilson_interval():
    assert wilson(0, 0) == (0.0, 1.0)
    lo, hi = wilson(8, 10)
    assert round(lo, 3) == 0.490 and round(hi, 3) == 0.943
    assert wilson(10, 10)[1] == 1.0


@pytest.mark.browser
def test_report_renders_with_working_filters_and_inert_hostile_text(tmp_path, shared_browser):
    out = tmp_path / "out"
    page_path = write_folder(out, [
        result("form-contact", 1, True, ["forms"]),
        result("form-contact", 2, False, ["forms"], answer=HOSTILE,
               checks=[CheckResult(kind="dom", passed=False, expected="x", found=HOSTILE, message=HOSTILE)]),
        result("table-lookup", 1, True, ["tables"]),
        result("no-pizza", 1, False, ["infeasible"], error_kind="infra", category="infra",
               error="browser crashed", run_dir=None),
    ])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["per_task"]["form-contact"]["success_rate"] == 0.5
    context = shared_browser.get().new_context()
    try:
        page = context.new_page()
        page.goto(page_path.as_uri())
        rows = page.locator("tr.task-row")
        assert rows.count() == 3
        assert page.locator("#shown").inner_text() == "3 of 3 tasks"
        assert page.evaluate("window.__pwned") is None
        page.locator("tr[data-task='form-contact'] details summary").click()
        assert HOSTILE in page.locator("tr[data-task='form-contact'] details").inner_text()
        assert "50%" in page.locator("tr[data-task='form-contact']").inner_text()

        def visible():
            return [r.get_attribute("data-task") for r in rows.all() if r.is_visible()]

        page.fill("#filter-text", "table")
        assert visible() == ["table-lookup"]
        page.fill("#filter-text", "")
        page.select_option("#filter-status", "fail")
        assert visible() == ["form-contact", "no-pizza"]
        page.select_option("#filter-status", "infra")
        assert visible() == ["no-pizza"]
        page.select_option("#filter-status", "all")
        page.select_option("#filter-tag", "forms")
        assert visible() == ["form-contact"]
        assert page.locator("#shown").inner_text() == "1 of 3 tasks"
        # Each episode links to its own run report.
        page.locator("tr[data-task='form-contact'] a.ep", has_text="r2").click()
        page.wait_for_url("**/form-contact-r2/run/report.html")
        assert page.title() == "episode form-contact r2"
    finally:
        context.close()


def test_fisher_exact_matches_known_values():
    assert fisher_exact(0, 10, 10, 10) == pytest.approx(1.0825e-05, rel=1e-3)
    assert fisher_exact(3, 10, 7, 10) == pytest.approx(0.1789, rel=1e-3)
    assert fisher_exact(1, 1, 0, 1) == 1.0
    assert fisher_exact(0, 0, 3, 5) == 1.0


def test_compare_marks_differences_beyond_noise(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_folder(a, [result("steady", k, True) for k in range(1, 11)]
                 + [result("fixed", k, False) for k in range(1, 11)]
                 + [result("noisy", k, k <= 3) for k in range(1, 11)])
    write_folder(b, [result("steady", k, True) for k in range(1, 11)]
                 + [result("fixed", k, True) for k in range(1, 11)]
                 + [result("noisy", k, k <= 7) for k in range(1, 11)]
                 + [result("new", 1, True), result("new", 2, False, error_kind="infra")])
    c = compare_results(a, b)
    by = {t.task: t for t in c.tasks}
    assert by["fixed"].significant and by["fixed"].delta == 1.0
    assert not by["noisy"].significant and by["noisy"].delta == pytest.approx(0.4)
    assert by["new"].a_n == 0 and by["new"].b_n == 1  # the infra error is left out
    assert (c.total.a_ok, c.total.a_n, c.total.b_ok, c.total.b_n) == (13, 30, 28, 31)
    res = CliRunner().invoke(app, ["eval", "compare", str(a), str(b)], terminal_width=200)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    fixed = next(line for line in lines if "fixed" in line)
    assert "0/10 (0%)" in fixed and "10/10 (100%)" in fixed and "+100%" in fixed and "beyond noise" in fixed
    assert "within noise" in next(line for line in lines if "noisy" in line)
    assert not any("steady" in line for line in lines)  # unchanged tasks are not listed
    assert "1 task(s) unchanged" in res.output
    html = (b / "compare.html").read_text()
    assert 'data-task="fixed" data-significant="yes"' in html
    assert 'data-task="noisy" data-significant="no"' in html


def test_compare_needs_results_folders(tmp_path):
    res = CliRunner().invoke(app, ["eval", "compare", str(tmp_path), str(tmp_path)])
    assert res.exit_code == 2 and "holds no results.jsonl" in res.output
