"""Model grounding in ui-tars, qwen25vl, qwen3vl and json: "Click X." in the family's own step format."""

import pytest
from pages.server import PageServer

from guiagent import ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.errors import ModelResponseError
from guiagent.geometry import Size
from guiagent.protocols.registry import make_protocol
from guiagent.runlog import read_run
from guiagent.skills import parse_skill
from guiagent.skills.runner import SkillRunConfig, SkillRunner
from guiagent.testing import IntendedAction, standin, standin_server

FAMILIES = ["ui-tars", "qwen25vl", "qwen3vl", "json"]
SHOT = Size(width=1280, height=720)
ICON_SKILL = """
name: open_settings
steps:
  - click: {description: the round gear icon button}
  - wait_for: Settings opened
"""


@pytest.mark.parametrize("family", FAMILIES)
def test_grounding_request_is_a_first_step_and_reads_the_point(family):
    protocol = make_protocol(family)
    request = protocol.grounding.request("the Send button", "data:image/png;base64,AA", SHOT)
    assert "Click the Send button." in "\n".join(
        p["text"] for m in request.messages if m["role"] == "user" and not isinstance(m["content"], str)
        for p in m["content"] if p["type"] == "text") + request.prompt
    assert not any(m["role"] == "assistant" for m in request.messages)
    answer = standin(family).answer(IntendedAction("click", (0.25, 0.5)), SHOT)
    box = protocol.grounding.parse(answer)
    assert (box.x1, box.y1) == (box.x2, box.y2)
    mapped = protocol.coordinates.to_normalised(box.x1, box.y1, SHOT)
    assert mapped.x == pytest.approx(250, abs=1) and mapped.y == pytest.approx(500, abs=1)
    with pytest.raises(ModelResponseError, match="no point"):
        protocol.grounding.parse(standin(family).answer(IntendedAction("done"), SHOT))


def test_grounding_does_not_disturb_the_runs_pointer():
    protocol = make_protocol("qwen25vl")
    protocol.grounding.request("x", "data:image/png;base64,AA", SHOT)
    assert protocol.grounding._family() is not protocol


@pytest.mark.browser
@pytest.mark.parametrize("family", FAMILIES)
def test_skill_click_grounded_by_the_family(family, shared_browser, tmp_path):
    with PageServer() as pages:
        url = pages.url + "/icons.html"
        driver = PlaywrightDriver(url, browser=shared_browser.get())
        with driver:
            box = driver.page.locator("#gear").bounding_box()
            at = ((box["x"] + box["width"] / 2) / 1280, (box["y"] + box["height"] / 2) / 720)
            with standin_server(family, [IntendedAction("click", at)]) as server:
                model = OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0))
                runner = SkillRunner(driver, model, protocol=family,
                                     config=SkillRunConfig(run_dir=tmp_path / "run"))
                result = runner.run(parse_skill(ICON_SKILL))
            assert driver.page.inner_text("#status") == "Settings opened"
    assert result.outcome == "done", result.error
    _, steps = read_run(tmp_path / "run")
    assert steps[0].extra["grounding"]["grounder"] == "model"
    assert "the round gear icon button" in server.requests[0].text
