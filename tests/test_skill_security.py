"""Skills from someone else stay inert, and skill secrets stay secret (no browser needed)."""

import pytest
import yaml

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.errors import SkillFileError, SkillStepError
from guiagent.runlog import read_run
from guiagent.secrets import Secrets, SecretsDriver
from guiagent.skills import parse_skill, run_skill
from guiagent.skills.from_run import skill_from_run
from guiagent.skills.templating import render_text, render_value
from guiagent.testing import GlmModelServer, glm_answer

SECRET = "p4ss'w\\rd"


def files_hold(run_dir, value):
    return [p for p in run_dir.rglob("*") if p.is_file() and value.encode() in p.read_bytes()]


def test_secret_parameters_in_an_agent_goal_reach_the_model_as_placeholders(tmp_path):
    skill = parse_skill("""
name: sign_in
description: Sign in with the agent.
parameters:
  password: {type: string, secret: true}
steps:
  - agent: "Sign in with the password {{ password }}"
""")
    answers = [glm_answer("type(content='{{secret:password}}')"), glm_answer("DONE()")]
    driver = ScriptedDriver("640x360")
    with GlmModelServer(answers) as server:
        model = OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0))
        result = run_skill(skill, driver, {"password": SECRET}, model=model,
                           run_dir=tmp_path / "run")
    assert result.outcome == "done", result.error
    assert [a.content for a in driver.actions] == [SECRET]  # the field got the value
    assert "{{secret:password}}" in server.requests[0].text
    assert all(SECRET not in r.text for r in server.requests)
    assert files_hold(tmp_path / "run", SECRET) == []
    assert (tmp_path / "run" / "agents").is_dir()


def test_overlapping_secret_parameters_are_redacted_longest_first(tmp_path):
    skill = parse_skill("""
name: two
description: Two secrets, one inside the other.
parameters:
  pin: {type: string, secret: true}
  passphrase: {type: string, secret: true}
steps:
  - type: {text: "{{ passphrase }}"}
  - type: {text: "{{ pin }}"}
""")
    driver = ScriptedDriver("640x360")
    result = run_skill(skill, driver, {"pin": "4711", "passphrase": "x4711-long"},
                       run_dir=tmp_path / "run")
    assert result.outcome == "done", result.error
    _, steps = read_run(tmp_path / "run")
    assert [s.action.content for s in steps] == ["{{secret:passphrase}}", "{{secret:pin}}"]
    assert files_hold(tmp_path / "run", "4711") == []


def test_from_run_turns_placeholders_into_secret_parameters_and_escapes_literals(tmp_path):
    literal = "a {{ b }} {% if x %} {# c #}"
    answers = [glm_answer("type(content='user {{secret:PASSWORD}}!')"),
               glm_answer(f"type(content='{literal}')"), glm_answer("DONE()")]
    with GlmModelServer(answers) as server:
        agent = Agent(SecretsDriver(ScriptedDriver("640x360"), Secrets({"PASSWORD": SECRET})),
                      OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run"))
        assert agent.run("Type things.\n# not: a comment").outcome == "done"
    text = skill_from_run(tmp_path / "run", name="typed")
    assert SECRET not in text
    skill = parse_skill(text)
    data = yaml.safe_load(text)
    assert data["parameters"]["PASSWORD"]["secret"] is True
    assert "default" not in data["parameters"]["PASSWORD"]
    driver = ScriptedDriver("640x360")
    result = run_skill(skill, driver, {"PASSWORD": SECRET}, run_dir=tmp_path / "again")
    assert result.outcome == "done", result.error
    assert [a.content for a in driver.actions] == [f"user {SECRET}!", literal]
    assert files_hold(tmp_path / "again", SECRET) == []


def alias_bomb(levels):
    lines = ["name: bomb", "description: x", 'a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join([*lines, "steps:", "  - wait: 1"])


def test_yaml_alias_bombs_and_self_references_are_refused():
    bomb = alias_bomb(6)  # 10**6 values from a few hundred bytes
    assert len(bomb) < 500
    with pytest.raises(SkillFileError, match="expands to more than"):
        parse_skill(bomb)
    with pytest.raises(SkillFileError, match="refers to the value that contains it"):
        parse_skill("name: x\ndescription: y\nsteps: &s\n  - wait: 1\n  - *s\n")
    with pytest.raises(SkillFileError, match="too large"):
        parse_skill("# " + "x" * 2_000_000)


@pytest.mark.parametrize("template", [
    "{{ 'x' * 10**7 }}", "{{ 'x' * 10**12 }}", "{{ 'x'|center(10**9) }}", "{{ 10 ** (10**9) }}",
    "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s }}",
    "{{ ('x' * 999999)|replace('x', 'xx') }}", "{{ '{:>1000000000}'.format(1) }}",
    "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}",
])
def test_templates_cannot_build_unbounded_output(template):
    with pytest.raises(SkillStepError, match="limited to"):
        render_text(template, {})
    with pytest.raises(SkillStepError, match="limited to"):
        render_value(template, {})


def test_ordinary_templates_still_work():
    assert render_text("{{ 'Hi %s' % name }}, {{ items|join(', ') }} {{ 'x' * 3 }}",
                       {"name": "Ada", "items": ["a", "b"]}) == "Hi Ada, a, b xxx"
    assert render_value("{{ rows }}", {"rows": [[1, 2]]}) == [[1, 2]]
    with pytest.raises(SkillStepError, match="ZeroDivisionError"):
        render_text("{{ 1 / 0 }}", {})
