"""Replays of glm45v and glm41v-web runs: recorded actions (set-of-marks runs included) and cassettes."""

import pytest
from contact_plan import CONTACT_PLAN, CONTACT_TASK, assert_contact_row

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.replay import replay_actions, replay_with_model_log
from guiagent.runlog import read_run
from guiagent.testing import plan_intentions, standin_server

pytestmark = pytest.mark.browser


def _record(protocol, url, plan, run_dir):
    with standin_server(protocol, plan) as server:
        driver = PlaywrightDriver(url)
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      protocol=protocol, config=AgentConfig(run_dir=run_dir, max_steps=30))
        with driver:
            result = agent.run(CONTACT_TASK)
    assert result.succeeded, result.error
    return result.run_dir


@pytest.fixture(scope="module")
def recorded(web_sandbox, tmp_path_factory):
    url = web_sandbox.url + "/contact"
    plan = plan_intentions(url, CONTACT_PLAN)
    runs = {}
    for protocol in ("glm45v", "glm41v-web"):
        web_sandbox.reset()
        runs[protocol] = _record(protocol, url, plan, tmp_path_factory.mktemp(protocol) / "run")
    return runs


def test_action_replay_of_a_set_of_marks_run(sandbox, recorded, tmp_path):
    # The recording's screenshots carry the marks the model saw; the replay marks its fresh
    # screenshots the same way, so they compare, and Type's follow-up actions run again.
    report = replay_actions(recorded["glm41v-web"], out=tmp_path / "replay")
    assert report.reproduced, report.summary
    assert all(c.score <= 0.02 for c in report.compared)
    rows = sandbox.submissions("contact")
    assert len(rows) == 1
    assert_contact_row(rows[0])
    _, steps = read_run(tmp_path / "replay")
    _, old = read_run(recorded["glm41v-web"])
    typed = [s for s in steps if s.call and s.call.startswith("Type")]
    assert typed and all(len(s.executed) == 1 and s.result.endswith("pressed enter") for s in typed)
    assert [p.surface for s in steps for p in s.executed] == \
        [p.surface for s in old for p in s.executed]


@pytest.mark.parametrize("protocol", ["glm45v", "glm41v-web"])
def test_cassette_replays_the_run_in_its_own_protocol(protocol, sandbox, recorded, tmp_path):
    # No model server: each request is answered from the log, after the cassette checked the
    # screenshot (for glm41v-web the marked one) and the prompt against the recording.
    report = replay_with_model_log(recorded[protocol], out=tmp_path / "cassette")
    assert report.reproduced, report.summary
    assert report.mismatches == []
    rows = sandbox.submissions("contact")
    assert len(rows) == 1
    assert_contact_row(rows[0])
    record, steps = read_run(tmp_path / "cassette")
    _, old = read_run(recorded[protocol])
    assert record.protocol == protocol and record.model["base_url"].startswith("cassette:")
    assert [s.request.prompt for s in steps] == [s.request.prompt for s in old]
    assert [s.request.images for s in steps] == [s.request.images for s in old]
    assert [s.action for s in steps] == [s.action for s in old]
