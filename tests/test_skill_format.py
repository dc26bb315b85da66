"""Skill files: loading, error locations, parameters, templates, the grounding answer parser."""

import json
import subprocess
import sys
import textwrap

import pytest

from guiagent.errors import ConfigError, ModelResponseError, SkillFileError, SkillStepError
from guiagent.protocols.glm41v_grounding import grounding_request, parse_grounding
from guiagent.skills import list_skills, load_skill, parse_skill, resolve_params
from guiagent.skills.params import read_params_file
from guiagent.skills.schema import ClickStep, ForEachStep, TypeStep
from guiagent.skills.templating import render_value

BUNDLED = {"login", "fill_web_form", "calc_table_to_xlsx", "write_text_file"}


def write(tmp_path, text, name="skill.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_bundled_skills_load_and_are_listed():
    loaded = {path.stem: skill for path, skill in list_skills()}
    assert BUNDLED <= set(loaded)
    for name in BUNDLED:
        skill = loaded[name]
        assert not isinstance(skill, Exception), skill
        assert skill.name == name and skill.description and skill.steps
    assert loaded["login"].parameters["password"].secret


def test_short_forms_expand(tmp_path):
    skill = load_skill(write(tmp_path, """
        name: short
        parameters:
          who: {type: string, default: Ada}
        steps:
          - click: Submit
          - type: "{{ who }}"
          - key: ctrl+s
          - wait_for: Saved
          - for_each: {items: [a, b], as: letter, steps: [{type: "{{ letter }}"}]}
    """))
    click, typed = skill.steps[0], skill.steps[1]
    assert isinstance(click, ClickStep) and click.click.text == "Submit"
    assert isinstance(typed, TypeStep) and typed.type.into is None
    assert isinstance(skill.steps[4], ForEachStep) and skill.steps[4].for_each.as_ == "letter"


def test_missing_field_names_file_line_and_field(tmp_path):
    path = write(tmp_path, """
        name: broken
        description: a step lacks its text
        steps:
          - click: {text: Submit}
          - type:
              into: Email
    """)
    with pytest.raises(SkillFileError) as info:
        load_skill(path)
    message = str(info.value)
    assert f"{path}:5:" in message  # the line of the type step's mapping
    assert "steps[2].type.text" in message
    assert "Field required" in message


def test_unknown_step_kind_and_bad_key_are_located(tmp_path):
    path = write(tmp_path, """
        name: broken
        steps:
          - click: OK
          - clik: Submit
          - key: ctrl+banana
    """)
    with pytest.raises(SkillFileError) as info:
        load_skill(path)
    message = str(info.value)
    assert f"{path}:4: steps[2]: a step needs exactly one of: click" in message
    assert f"{path}:5: steps[3].key" in message and "banana" in message


def test_wrong_type_deep_inside_a_target(tmp_path):
    path = write(tmp_path, """
        name: broken
        steps:
          - select:
              field: {label: Topic, nth: zero}
              option: Billing
    """)
    with pytest.raises(SkillFileError) as info:
        load_skill(path)
    assert f"{path}:4: steps[1].select.field.nth" in str(info.value)


def test_yaml_syntax_error_names_line(tmp_path):
    path = write(tmp_path, """
        name: broken
        steps:
          - click: {text: "Submit"
          - key: enter
    """)
    with pytest.raises(SkillFileError) as info:
        load_skill(path)
    assert str(info.value).startswith(f"{path}:4:") and "YAML syntax error" in str(info.value)


def test_unknown_template_variable_is_caught_at_load(tmp_path):
    path = write(tmp_path, """
        name: typo
        parameters:
          email: {type: string}
        steps:
          - type: {into: Email, text: "{{ emial }}"}
    """)
    with pytest.raises(SkillFileError) as info:
        load_skill(path)
    assert f"{path}:5:" in str(info.value) and "emial" in str(info.value)
    assert "parameters: email" in str(info.value)


def test_cli_check_reports_location(tmp_path):
    bad = write(tmp_path, "name: x\nsteps:\n  - type: {}\n", "bad.yaml")
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "skill", "check", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert f"{bad}:3: steps[1].type.text: Field required" in proc.stderr.replace("\n", "")


def test_cli_list_shows_bundled_skills():
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "skill", "list"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for name in BUNDLED:
        assert name in proc.stdout


def test_parameters_are_converted_and_checked():
    skill = parse_skill(textwrap.dedent("""
        name: typed
        parameters:
          count: {type: integer}
          enabled: {type: boolean, default: false}
          record: {type: object}
          table: {type: csv}
        steps: [{key: enter}]
    """))
    values = resolve_params(skill, {"count": "3", "enabled": "yes", "record": '{"A": 1}',
                                    "table": "a,b\n1,2\n"})
    assert values == {"count": 3, "enabled": True, "record": {"A": 1},
                      "table": [["a", "b"], ["1", "2"]]}
    with pytest.raises(ConfigError) as info:
        resolve_params(skill, {"count": "many", "colour": "red"})
    message = str(info.value)
    assert "unknown parameter 'colour'" in message and "count:" in message
    assert "record is required" in message and "table is required" in message


def test_params_file_with_a_bare_record(tmp_path):
    skill = load_skill(next(p for p, _ in list_skills() if p.stem == "fill_web_form"))
    record = {"Full name": "Ada", "I accept the terms": True}
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    assert read_params_file(path, skill) == {"record": record}
    path.write_text(json.dumps({"record": record, "submit": "Go"}))
    assert read_params_file(path, skill) == {"record": record, "submit": "Go"}


def test_templates_keep_types_and_refuse_missing_values():
    context = {"record": {"Name": "Ada"}, "n": 2}
    assert render_value("{{ record }}", context) == {"Name": "Ada"}
    assert render_value("{{ n }} items", context) == "2 items"
    with pytest.raises(SkillStepError, match="missing"):
        render_value("{{ missing }}", context)
    with pytest.raises(SkillStepError):  # the sandbox refuses internals
        render_value("{{ record.__class__.__mro__ }}", context)


@pytest.mark.parametrize("content, box", [
    ("<think>gear top right</think><answer><|begin_of_box|>[[810,40,850,96]]<|end_of_box|>"
     "</answer>", (810, 40, 850, 96)),
    ("<answer>The icon is at [[850, 96, 810, 40]].</answer>", (810, 40, 850, 96)),
    ("[412,300,480,330]", (412, 300, 480, 330)),
    ("<answer><|begin_of_box|>[500,500]<|end_of_box|></answer>", (500, 500, 500, 500)),
])
def test_grounding_answers_are_parsed(content, box):
    answer = parse_grounding(content)
    assert (answer.x1, answer.y1, answer.x2, answer.y2) == box


@pytest.mark.parametrize("content", ["<answer>I cannot see it.</answer>",
                                     "<answer>[[100,200,1300,400]]</answer>"])
def test_grounding_answers_without_a_usable_box_are_errors(content):
    with pytest.raises(ModelResponseError) as info:
        parse_grounding(content)
    assert info.value.raw == content


def test_grounding_request_puts_the_image_first():
    request = grounding_request("the Save button", "data:image/png;base64,AAAA")
    parts = request.messages[0]["content"]
    assert parts[0]["type"] == "image_url" and parts[1]["type"] == "text"
    assert "the Save button" in parts[1]["text"] and "[[x1,y1,x2,y2]]" in parts[1]["text"]
