"""Every check kind against the real world: a sandbox page, its SQLite, files, the agent's outcome."""

import pytest

from guiagent.drivers.playwright import PlaywrightDriver
from guiagent.eval.checks import register_file_option, run_checks
from guiagent.eval.context import CheckResult, EpisodeContext
from guiagent.eval.tasks import parse_tasks

pytestmark = pytest.mark.browser


def make_ctx(tmp_path, checks_yaml, **state):
    (task,) = parse_tasks("- id: t\n  instruction: x\n  url: '{sandbox}/'\n  evaluate:\n" + checks_yaml,
                          str(tmp_path / "suite.yaml"))
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return EpisodeContext(task=task, repeat=1, run_dir=tmp_path / "run", work_dir=work, **state)


def verdicts(ctx):
    return [r.passed for r in run_checks(ctx.task.evaluate, ctx)]


@pytest.fixture
def thanks_page(sandbox, shared_browser):
    """The contact form sent for real; the page left on its thank-you screen."""
    driver = PlaywrightDriver(sandbox.url + "/contact", browser=shared_browser.get())
    driver.start()
    page = driver.page
    page.fill("#full_name", "Ada Lovelace")
    page.fill("#email", "ada@example.org")
    page.fill("#message", "About billing")
    page.check("#terms")
    page.click("#send")
    page.wait_for_url("**/contact/thanks/*")
    yield page
    driver.close()


def test_url_dom_sql_on_the_real_sandbox(tmp_path, sandbox, thanks_page):
    ctx = make_ctx(tmp_path, """\
    - url: "{sandbox}/contact/thanks/1"
    - url: {matches: "/thanks/\\\\d+$"}
    - url: "{sandbox}/contact"
    - dom: {selector: "#status", text: "Thank you"}
    - dom: {selector: "#status", text: "Sorry"}
    - dom: {selector: "#nothing-here", text: "x"}
    - dom: {selector: "h1", count: 1}
    - sql: {query: "select count(*) from submissions where form = 'contact'", expect: [[1]]}
    - sql: {query: "select json_extract(data, '$.full_name') from submissions", expect: [["Ada Lovelace"]]}
    - sql: {query: "select count(*) from submissions", expect: [[2]]}
""", page=thanks_page, final_url=thanks_page.url, sandbox_url=sandbox.url, db_path=sandbox.db_path)
    results = run_checks(ctx.task.evaluate, ctx)
    assert [r.passed for r in results] == [True, True, False, True, False, False, True, True, True, False]
    assert results[3].found == {"text": "Thank you, Ada Lovelace! Your message was received."}
    assert results[5].message.startswith("no element matches")
    assert results[9].found == [[1]] and results[9].expected == [[2]]


def test_sql_is_read_only(tmp_path, sandbox):
    ctx = make_ctx(tmp_path, '    - sql: {query: "delete from submissions", expect: []}\n',
                   sandbox_url=sandbox.url, db_path=sandbox.db_path)
    sandbox_before = len(sandbox.submissions())
    sandbox.reset()
    from guiagent.sandboxes.web import store
    store.add_submission(sandbox.db_path, "contact", {"x": 1})
    (result,) = run_checks(ctx.task.evaluate, ctx)
    assert not result.passed and "readonly" in result.message.replace(" ", "").lower()
    assert len(sandbox.submissions()) == 1
    del sandbox_before


def test_dom_value_of_a_field(tmp_path, sandbox, shared_browser):
    driver = PlaywrightDriver(sandbox.url + "/contact", browser=shared_browser.get())
    driver.start()
    try:
        driver.page.fill("#email", "a@b.c")
        ctx = make_ctx(tmp_path, '    - dom: {selector: "#email", value: "a@b.c"}\n'
                                 '    - dom: {selector: "#email", value: "x@y.z"}\n',
                       page=driver.page, final_url=driver.page.url, sandbox_url=sandbox.url)
        assert verdicts(ctx) == [True, False]
    finally:
        driver.close()


def test_answer_checks(tmp_path):
    checks = """\
    - answer: "Ada  lovelace"
    - answer: {includes: [ada, "1815"]}
    - answer: {matches: "born in \\\\d{4}"}
    - answer: {number: 1815, tolerance: 0.5}
    - answer: {number: 1816}
    - answer: {exact: "ada lovelace", case_sensitive: true}
"""
    assert verdicts(make_ctx(tmp_path, checks, answer="Ada Lovelace", outcome="answered")) == \
        [True, False, False, False, False, False]
    ctx = make_ctx(tmp_path, checks, answer="Ada was born in 1815.2", outcome="answered")
    assert verdicts(ctx) == [False, True, True, True, False, False]
    (first, *_) = run_checks(ctx.task.evaluate, make_ctx(tmp_path, checks, answer=None, outcome="done"))
    assert not first.passed and "no answer" in first.message


def test_file_checks_and_format_hook(tmp_path):
    ctx = make_ctx(tmp_path, """\
    - file: report.txt
    - file: {path: report.txt, contains: ["total: 42", "EUR"]}
    - file: {path: report.txt, equals: "total: 42 EUR"}
    - file: {path: report.txt, matches: "^total: \\\\d+"}
    - file: {path: missing.txt}
    - file: {path: missing.txt, exists: false}
    - file: {path: report.txt, contains: "USD"}
    - file: {path: ../outside.txt}
    - file: {path: report.txt, shouted: true}
    - file: {path: report.txt, nosuchoption: 1}
""")
    (ctx.work_dir / "report.txt").write_text("total: 42 EUR\n")
    (tmp_path / "outside.txt").write_text("secret")
    register_file_option("shouted", lambda spec, path, ctx: CheckResult(
        kind="shouted", passed=path.read_text().isupper(), found=path.read_text()[:10],
        message="not upper case"))
    results = run_checks(ctx.task.evaluate, ctx)
    assert [r.passed for r in results] == [True, True, True, True, False, True, False, False, False, False]
    assert "outside" in results[7].message
    assert results[8].message == "not upper case" and results[8].found["shouted"] == "total: 42 "
    assert "unknown file option 'nosuchoption'" in results[9].message


def test_infeasible_python_and_any(tmp_path):
    (tmp_path / "mychecks.py").write_text(
        "def answer_is(ctx, want):\n    return ctx.answer == want, {'answer': ctx.answer}\n"
        "def boom(ctx):\n    raise RuntimeError('cannot look')\n")
    checks = """\
    - infeasible: true
    - python: {function: "mychecks:answer_is", args: {want: "7"}}
    - python: mychecks:boom
    - any: [{answer: "8"}, {answer: "7"}]
    - any: [{answer: "8"}, {infeasible: true}]
"""
    failed = make_ctx(tmp_path, checks, outcome="failed", answer="7")
    results = run_checks(failed.task.evaluate, failed)
    assert [r.passed for r in results] == [True, True, False, True, True]
    assert results[1].found == {"answer": "7"}
    assert results[2].message == "RuntimeError: cannot look"
    done = make_ctx(tmp_path, checks, outcome="done", answer="6")
    assert verdicts(done) == [False, False, False, False, False]
