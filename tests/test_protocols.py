"""The protocol contract: registry, model-name choice, coordinate conventions, continuation."""

import ast
from pathlib import Path

import pytest

from guiagent import Agent, ModelSettings, OpenAIChatClient, ScriptedDriver
from guiagent.actions import LeftDrag, Point, Type
from guiagent.errors import ConfigError
from guiagent.geometry import Size
from guiagent.model import ModelReply
from guiagent.protocols.base import StepInput
from guiagent.protocols.coordinates import (
    THOUSANDTHS,
    Normalised,
    ScreenshotPixels,
    SmartResizedPixels,
    normalise_action,
    smart_resize,
)
from guiagent.protocols.registry import (
    PROTOCOL_NAMES,
    available_protocols,
    make_protocol,
    protocol_for_model,
)

PACKAGE = Path(__file__).resolve().parent.parent / "guiagent"


def test_registry_names_every_family_and_builds_glm41v_pc() -> None:
    assert set(PROTOCOL_NAMES) == {"glm41v-pc", "glm41v-web", "glm45v", "ui-tars", "qwen25vl",
                                   "qwen3vl", "json"}
    assert "glm41v-pc" in available_protocols()
    protocol = make_protocol("glm41v-pc", tips="Use the keyboard.")
    assert protocol.name == "glm41v-pc" and protocol.coordinates == THOUSANDTHS
    request = protocol.with_tips("Never guess.").build_request(
        StepInput("Open the menu.", "data:image/png;base64,", Size(width=1280, height=720)))
    assert "Use the keyboard." in request.prompt and "Never guess." in request.prompt
    assert "Open the menu." in request.prompt and request.images == [
        {"role": "current", "step": 1}]


def test_an_unknown_protocol_name_lists_the_names() -> None:
    with pytest.raises(ConfigError) as caught:
        make_protocol("gpt-9")
    assert "unknown protocol 'gpt-9'" in str(caught.value)
    for name in PROTOCOL_NAMES:
        assert name in str(caught.value)


def test_a_family_not_in_the_package_yet_is_a_clear_error(monkeypatch) -> None:
    from guiagent.protocols import registry

    fake = registry.Family("later", "guiagent.protocols.not_written_yet:Later")
    monkeypatch.setattr(registry, "FAMILIES", (*registry.FAMILIES, fake))
    with pytest.raises(ConfigError, match="'later' protocol is not available yet"):
        make_protocol("later")
    assert "later" not in available_protocols()


@pytest.mark.parametrize(("model", "expected"), [
    ("zai-org/GLM-4.1V-9B-Thinking", "glm41v-pc"),
    ("zai-org/GLM-4.5V", "glm45v"),
    ("zai-org/GLM-4.6V-Flash", "glm45v"),
    ("ByteDance-Seed/UI-TARS-1.5-7B", "ui-tars"),
    ("Qwen/Qwen2.5-VL-7B-Instruct", "qwen25vl"),
    ("Qwen/Qwen3-VL-8B-Instruct", "qwen3vl"),
    ("my-finetune", "glm41v-pc"),
    (None, "glm41v-pc"),
])
def test_protocol_for_model_reads_the_served_name(model, expected) -> None:
    assert protocol_for_model(model) == expected


def test_the_agent_takes_a_protocol_name_and_rejects_unknown_ones() -> None:
    client = OpenAIChatClient(ModelSettings(base_url="http://127.0.0.1:9/v1"))
    agent = Agent(ScriptedDriver([]), client, protocol="glm41v-pc")
    assert agent.protocol.name == "glm41v-pc"
    assert Agent(ScriptedDriver([]), client).protocol.name == "glm41v-pc"  # from the model name
    with pytest.raises(ConfigError, match="unknown protocol"):
        Agent(ScriptedDriver([]), client, protocol="nope")


def test_loop_modules_import_no_family_module() -> None:
    loop = [PACKAGE / "agent.py", PACKAGE / "asking.py", *(PACKAGE / "skills").glob("*.py"),
            *(PACKAGE / "replay").glob("*.py"), *(PACKAGE / "eval").glob("*.py"),
            *(PACKAGE / "cli").glob("*.py"), *(PACKAGE / "ui").glob("*.py"),
            *(PACKAGE / "toolserver").glob("*.py"), *(PACKAGE / "serve").glob("*.py"),
            PACKAGE / "testing" / "chaos.py"]
    allowed = {"base", "registry", "coordinates", "templates"}  # the contract's modules
    for path in loop:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and "protocols" in node.module:
                last = node.module.rsplit(".", 1)[-1]
                assert last in allowed, f"{path.name} imports {node.module}"


def test_glm41v_continues_a_cut_off_thought_and_nothing_else() -> None:
    protocol = make_protocol("glm41v-pc")
    cut = ModelReply(content="<think>The field is at the top", finish_reason="length")
    assert protocol.continuation(cut) == "<think>The field is at the top</think><answer>"
    split = ModelReply(content="", reasoning="Still looking", finish_reason="length")
    assert protocol.continuation(split) == "<think>Still looking</think><answer>"
    answered = ModelReply(content="<think>x</think><answer>DONE()", finish_reason="length")
    assert protocol.continuation(answered) is None
    assert protocol.continuation(ModelReply(content="<think>x", finish_reason="stop")) is None


# Vectors from the UI-TARS parser's smart_resize (shared/model-families.md).
@pytest.mark.parametrize(("size", "resized"), [
    ((1920, 1080), (1932, 1092)), ((1280, 720), (1288, 728)), ((2560, 1440), (2548, 1428)),
])
def test_smart_resize_matches_the_published_sizes(size, resized) -> None:
    convention = SmartResizedPixels()
    assert convention.resized(Size(width=size[0], height=size[1])) == Size(
        width=resized[0], height=resized[1])


def test_smart_resize_shrinks_to_max_pixels_and_rounds_halves_to_even() -> None:
    h, w = smart_resize(2000, 4000, max_pixels=1000 * 28 * 28)
    assert h * w <= 1000 * 28 * 28 and h % 28 == 0 and w % 28 == 0
    assert smart_resize(14 * 3, 28 * 10, min_pixels=1) == (56, 280)  # 1.5 -> 2 (even)
    assert smart_resize(14 * 5, 28 * 10, min_pixels=1) == (56, 280)  # 2.5 -> 2 (even)


def test_conventions_map_to_thousandths_and_back() -> None:
    shot = Size(width=1920, height=1080)
    tars = SmartResizedPixels()
    p = tars.to_normalised(197, 525, shot)
    # The worked example: (197,525) on 1920x1080 lands on screen pixel (195, 519).
    assert (int(p.x / 1000 * 1920), int(p.y / 1000 * 1080)) == (195, 519)
    for convention in (THOUSANDTHS, Normalised(999), tars, ScreenshotPixels()):
        q = convention.to_normalised(*convention.from_normalised(p, shot).__dict__.values(), shot)
        assert abs(q.x - p.x) < 1e-6 and abs(q.y - p.y) < 1e-6
    assert Normalised(999).to_normalised(999, 0, shot).x == 1000
    assert ScreenshotPixels().to_normalised(960, 540, shot).model_dump() == {"x": 500, "y": 500}


def test_normalise_action_keeps_the_raw_points() -> None:
    shot = Size(width=1280, height=720)
    drag = LeftDrag(start_box=Point(x=640, y=360), end_box=Point(x=1280, y=0))
    mapped, raw = normalise_action(drag, ScreenshotPixels(), shot)
    assert mapped.start_box == Point(x=500, y=500) and mapped.end_box == Point(x=1000, y=0)
    assert raw["start_box"].model_dump() == {"x": 640, "y": 360}
    same, raw = normalise_action(drag, THOUSANDTHS, shot)
    assert same is drag and raw["end_box"].x == 1280
    typed = Type(content="hi")
    assert normalise_action(typed, ScreenshotPixels(), shot) == (typed, {})


@pytest.mark.parametrize(("name", "message"), [
    ("nope", "unknown protocol 'nope': choose one of glm41v-pc, glm41v-web"),
    ("later", "'later' protocol is not available yet"),
])
def test_cli_run_refuses_a_bad_protocol_before_starting(name, message, tmp_path) -> None:
    """--protocol is checked before a browser or model is touched; exit 2, the reason shown."""
    import subprocess
    import sys

    code = ("import sys; from guiagent.protocols import registry as r; "
            "r.FAMILIES = (*r.FAMILIES, r.Family('later', 'guiagent.protocols.nowhere:X')); "
            "from guiagent.cli.main import app; sys.argv = ['guiagent', *sys.argv[1:]]; app()")
    proc = subprocess.run(
        [sys.executable, "-c", code, "run", "Say hi", "--url", "http://127.0.0.1:9/",
         "--model-url", "http://127.0.0.1:9/v1", "--protocol", name, "--out",
         str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert message in " ".join(proc.stderr.split())
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", [
    ["eval", "example", "--model-url", "http://127.0.0.1:9/v1"],
    ["skill", "run", "fill_web_form", "--url", "http://127.0.0.1:9/", "--param",
     'record={"Name": "x"}'],
    ["replay", "{out}", "--model-from-log"],
])
def test_every_model_command_takes_protocol(command, tmp_path) -> None:
    import subprocess
    import sys

    out = tmp_path / "out"
    args = [a.replace("{out}", str(out)) for a in command]
    if "{out}" not in command:
        args += ["--out", str(out)]
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", *args, "--protocol", "nope"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "unknown protocol 'nope': choose one of glm41v-pc" in " ".join(proc.stderr.split())
    assert not out.exists()
