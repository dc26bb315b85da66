"""Property-based fuzzing of the skill loader and templates: a result or a clear error, only.

A skill file from someone else may be any text. parse_skill must return a
Skill or raise SkillFileError (naming the file and line), and a template must
render or raise SkillStepError; never another exception, a hang or a memory blow-up.
GUIAGENT_FUZZ_EXAMPLES=100000 (scripts/fuzz.py) for a long hunt; 300 keeps the suite quick.
"""

import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guiagent.errors import SkillFileError, SkillStepError
from guiagent.skills import parse_skill
from guiagent.skills.schema import Skill
from guiagent.skills.templating import render_text, render_value

FUZZ = settings(max_examples=int(os.environ.get("GUIAGENT_FUZZ_EXAMPLES", "300")), deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])

BUNDLED = [p.read_text(encoding="utf-8")
           for p in sorted((Path(__file__).parents[1] / "skills").glob("*.yaml"))]


def loads_or_refuses(text):
    try:
        skill = parse_skill(text, "fuzz.yaml")
    except SkillFileError as exc:
        assert str(exc).startswith("fuzz.yaml")
        return None
    assert isinstance(skill, Skill)
    return skill


@FUZZ
@given(st.text(max_size=400))
def test_any_text(text):
    loads_or_refuses(text)


YAML_BITS = list(":-&*!{}[]|>%@#'\"\t\n ,?") + ["\n  ", "\n    ", "- ", ": ", "&a ", "*a", "<<: *a",
                                                "{{", "}}", "{%", "%}", "!!python/object:os.system",
                                                "!!binary", "~", "null", "yes", "0x1F", "1e999",
                                                ".inf", "\ufeff", "\x00", "\u2028"]


@st.composite
def mutated_skill(draw):
    text = draw(st.sampled_from(BUNDLED))
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        bit = draw(st.sampled_from(YAML_BITS) | st.text(max_size=3))
        if op == "insert":
            text = text[:i] + bit + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 20)):]
        else:
            text = text[:i] + bit + text[i + len(bit):]
    return text


@FUZZ
@given(mutated_skill())
def test_mutated_bundled_skills(text):
    loads_or_refuses(text)


template_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["{{ record }}", "{{ x }}", "{{ 'a' * 3 }}", "{% for i in items %}{{ i }}"
                     "{% endfor %}", "{{ x|upper }}", "{{", "}}", "{% if %}", "{{ x.__class__ }}",
                     "{{ 'x' * 10**9 }}", "{{ range(10**9) }}", "{# c #}", "{{ x[0] }}"]),
)
scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(),
                   template_text)
target = st.dictionaries(st.sampled_from(["text", "label", "role", "placeholder", "description",
                                          "near", "index", "nth", "bogus"]), scalar, max_size=3)
step_spec = st.one_of(scalar, target, st.lists(scalar, max_size=3))
step = st.dictionaries(
    st.sampled_from(["click", "type", "key", "wait", "wait_for", "select", "agent", "for_each",
                     "fill_form", "check", "scroll", "when", "optional", "name", "into", "text",
                     "steps", "items", "as", "bogus"]),
    st.recursive(step_spec, lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["steps", "items", "as", "text", "into", "record",
                                         "goal", "max_steps", "timeout"]), inner, max_size=3)),
        max_leaves=8),
    max_size=3)
parameter = st.dictionaries(st.sampled_from(["type", "default", "secret", "description",
                                             "required", "bogus"]),
                            st.one_of(scalar, st.sampled_from(["string", "integer", "object",
                                                               "csv", "list", "boolean"])),
                            max_size=4)
skill_data = st.fixed_dictionaries(
    {"name": scalar, "steps": st.lists(step, max_size=4)},
    optional={"description": scalar,
              "parameters": st.dictionaries(st.sampled_from(["x", "record", "items", "1", ""]),
                                            parameter, max_size=3),
              "bogus": scalar})


@FUZZ
@given(skill_data)
def test_structured_skills(data):
    loads_or_refuses(yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(st.text(alphabet="{}%#'\"()[]|.*+~-_ 0123456789abcxyz\n", max_size=40),
       st.dictionaries(st.sampled_from(["x", "items", "a"]),
                       st.one_of(st.integers(), st.text(max_size=5),
                                 st.lists(st.integers(), max_size=3)), max_size=3))
def test_templates_render_or_refuse(template, context):
    for render in (render_text, render_value):
        try:
            render(template, context)
        except SkillStepError as exc:
            assert str(exc)
