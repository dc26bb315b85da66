"""The guard describes targets by their labels, never by what was typed into a field."""

import pytest
from pages.server import PageServer

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.guard import ActionGuard
from guiagent.runlog import read_run
from guiagent.testing import GlmModelServer, glm_answer

pytestmark = pytest.mark.browser

# tests/pages/fields.html: each control is 200x50 at a known place in a 1280x720 viewport.
PASSWORD, NOTE, AREA, BUY = "[156,174]", "[391,174]", "[625,174]", "[156,590]"


def test_field_values_never_describe_a_target(tmp_path):
    from guiagent.drivers.playwright import PlaywrightDriver

    answers = [glm_answer(f"left_click(start_box='{p}')") for p in (PASSWORD, NOTE, AREA, BUY)]
    answers.append(glm_answer("DONE()"))
    with GlmModelServer(answers) as server, PageServer() as pages, \
            PlaywrightDriver(pages.url + "/fields.html") as driver:
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run", max_steps=6),
                      hooks=[ActionGuard()])  # unattended: a confirmation would be a refusal
        result = agent.run("Click the fields.")
    _, steps = read_run(result.run_dir)
    # The fields' values ("pay ...", "delete ...", "transfer ...") are not their labels.
    assert [s.result for s in steps[:3]] == ["left_click"] * 3, [s.error for s in steps[:3]]
    # A submit button's value is its label, and "Buy now" needs a person.
    assert steps[3].result == "refused" and steps[3].extra["guard"]["target"] == "Buy now"
    for path in result.run_dir.rglob("*"):
        assert not path.is_file() or b"hunter2" not in path.read_bytes(), path
    assert all("hunter2" not in r.text for r in server.requests)
