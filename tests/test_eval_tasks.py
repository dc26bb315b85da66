"""Task files: the issue's spellings load; mistakes are named by file, line and field."""

from pathlib import Path

import pytest

from guiagent.errors import TaskFileError
from guiagent.eval.schema import AnyCheck, DomCheck, FileCheck, InfeasibleCheck, SqlCheck
from guiagent.eval.tasks import bundled_suites, load_suite, parse_tasks, select_tasks

EXAMPLE = Path(__file__).parent / "suites" / "issue_example.yaml"


def test_issue_example_loads():
    contact, pizza = load_suite(str(EXAMPLE))
    assert contact.id == "contact-basic" and contact.max_steps == 20
    assert contact.url == "{sandbox}/contact"
    sql, dom = contact.evaluate
    assert isinstance(sql, SqlCheck) and sql.sql.expect == [[1]]
    assert isinstance(dom, DomCheck) and dom.dom.selector == "#status" and dom.dom.text == "Thank you"
    assert isinstance(pizza.evaluate[0], InfeasibleCheck)
    assert contact.source == f"{EXAMPLE}:1" and pizza.source == f"{EXAMPLE}:8"


def test_every_check_and_step_spelling():
    tasks = parse_tasks("""
- id: all-kinds
  instruction: do it
  url: "{sandbox}/x"
  tags: [forms, demo]
  time_limit: 60
  setup:
    - reset: true
    - seed: {table: submissions, rows: [{form: contact, created_at: now, data: {a: 1}}]}
    - copy: {from: data/in.txt, to: in.txt}
    - open: "{sandbox}/login"
    - python: mypkg.setup:prepare
  evaluate:
    - url: "{sandbox}/done"
    - url: {matches: "/thanks/\\\\d+$"}
    - answer: "42"
    - answer: {includes: [Ada, Lovelace]}
    - answer: {number: 3.5, tolerance: 0.1}
    - answer: {matches: "^ok"}
    - dom: {selector: "#email", value: "a@b.c"}
    - sql: {query: "select 1", expect: [[1]], ordered: false}
    - file: out.txt
    - file: {path: out.txt, contains: [a, b], matches: "^x"}
    - python: mypkg.checks:ok
    - python: {function: mypkg.checks:ok, args: {n: 1}}
    - any:
        - url: {matches: "a"}
        - infeasible: true
""", "inline.yaml")
    (task,) = tasks
    assert [type(s).__name__ for s in task.setup] == ["ResetStep", "SeedStep", "CopyStep", "OpenStep",
                                                      "PythonStep"]
    assert task.setup[2].copy_.from_ == "data/in.txt"
    assert isinstance(task.evaluate[8], FileCheck) and task.evaluate[8].file.path == "out.txt"
    assert isinstance(task.evaluate[-1], AnyCheck) and len(task.evaluate[-1].any) == 2
    assert task.evaluate[3].answer.includes == ["Ada", "Lovelace"]


@pytest.mark.parametrize("body, where, words", [
    ("    - sql: {query: 'select 1', expected: [[1]]}\n", ":6:", "evaluate[2].sql.expected"),
    ("    - dom: {selector: '#x'}\n", ":6:", "give at least one of text"),
    ("    - frobnicate: 1\n", ":6:", "a check is a mapping with one key"),
    ("    - url: {matches: '(('}\n", ":6:", "not a valid regular expression"),
    ("    - python: not-a-function\n", ":6:", "package.module:function"),
    ("    - infeasible: false\n", ":6:", "evaluate[2].infeasible"),
])
def test_errors_name_file_line_and_field(body, where, words):
    text = "- id: t1\n  instruction: x\n  url: '{sandbox}/'\n  evaluate:\n    - infeasible: true\n" + body
    with pytest.raises(TaskFileError) as info:
        parse_tasks(text, "suite.yaml")
    assert f"suite.yaml{where}" in str(info.value) and "task 't1'" in str(info.value)
    assert words in str(info.value)


def test_other_file_errors(tmp_path):
    with pytest.raises(TaskFileError, match=r"x.yaml:3:\d+: YAML syntax error"):
        parse_tasks("- id: a\n  instruction: [unclosed\n", "x.yaml")
    with pytest.raises(TaskFileError, match="give url .* or desktop"):
        parse_tasks("- {id: a, instruction: x, evaluate: [{infeasible: true}]}", "x.yaml")
    with pytest.raises(TaskFileError, match="at least 1 item"):
        parse_tasks("- {id: a, instruction: x, url: u, evaluate: []}", "x.yaml")
    with pytest.raises(TaskFileError, match="x.yaml:1: a task file is a YAML list"):
        parse_tasks("just text", "x.yaml")
    with pytest.raises(TaskFileError, match="id: String should match"):
        parse_tasks("- {id: ../evil, instruction: x, url: u, evaluate: [{infeasible: true}]}", "x.yaml")
    (tmp_path / "a.yaml").write_text("- {id: same, instruction: x, url: u, evaluate: [{infeasible: true}]}\n")
    (tmp_path / "b.yaml").write_text("- {id: same, instruction: y, url: u, evaluate: [{infeasible: true}]}\n")
    with pytest.raises(TaskFileError, match=r"b.yaml:1: task id 'same' is used twice \(first at .*a.yaml:1\)"):
        load_suite(str(tmp_path))
    with pytest.raises(TaskFileError, match="no suite 'nonexistent'.*bundled"):
        load_suite("nonexistent")


def test_folder_suite_and_selection(tmp_path):
    (tmp_path / "a.yaml").write_text("- {id: form-a, instruction: x, url: u, tags: [forms], "
                                     "evaluate: [{infeasible: true}]}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text("id: table-b\ninstruction: y\nurl: u\n"
                                            "evaluate: [{infeasible: true}]\n")
    tasks = load_suite(str(tmp_path))
    assert [t.id for t in tasks] == ["form-a", "table-b"]
    assert tasks[1].base_dir == tmp_path / "sub"
    assert [t.id for t in select_tasks(tasks, ["table-*"])] == ["table-b"]
    assert [t.id for t in select_tasks(tasks, ["tag:form*"])] == ["form-a"]
    assert select_tasks(tasks, ["zzz"]) == []
    assert "miniwob" in bundled_suites()


def test_only_bundled_suites_bring_their_own_policy(tmp_path):
    from guiagent.eval.tasks import bundled_policy
    from guiagent.guard import GuardPolicy

    policy = bundled_policy("web")
    assert policy is not None and GuardPolicy.load(policy).confirm_patterns == []
    assert bundled_policy("example") is None
    (tmp_path / "_policies").mkdir()
    (tmp_path / "_policies" / "web.yaml").write_text("confirm_patterns: []\n")
    assert bundled_policy(str(tmp_path / "web.yaml")) is None
    assert "_policies" not in bundled_suites_names()


def bundled_suites_names():
    from guiagent.eval.tasks import bundled_suites

    return bundled_suites()
