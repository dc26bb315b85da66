"""Cassettes for every family: a run recorded with a family's stand-in replays from its log."""

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.protocols.registry import available_protocols
from guiagent.replay import replay_with_model_log
from guiagent.runlog import read_run
from guiagent.testing import IntendedAction, standin_server

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><title>waiting</title><body style="margin:0">
<button id="go" style="position:absolute;left:600px;top:380px;width:80px;height:40px"
onclick="document.title='clicked'">Go</button></body>"""
PLAN = [IntendedAction("click", (640 / 1280, 400 / 720), info="Go button", say="I click Go.",
                       element=0),  # set-of-marks: the page's only element
        IntendedAction("done", say="It is clicked.")]


@pytest.mark.parametrize("protocol", available_protocols())
def test_a_recorded_run_replays_from_its_log(protocol, tmp_path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE)
    with standin_server(protocol, PLAN) as server:
        driver = PlaywrightDriver(page.as_uri())
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      protocol=protocol, config=AgentConfig(run_dir=tmp_path / "rec", max_steps=4))
        with driver:
            recorded = agent.run("Click Go.")
            assert driver.page.title() == "clicked"
    assert recorded.succeeded, recorded.error  # DONE, or the web protocol's ANSWER
    assert recorded.record.protocol == protocol

    # No --protocol: the recorded one is used; the cassette answers by the agent's step.
    report = replay_with_model_log(tmp_path / "rec", out=tmp_path / "replay")
    assert report.reproduced, report.model_dump()
    record, steps = read_run(tmp_path / "replay")
    assert record.protocol == protocol and record.kind == "replay"
    assert steps[1].title == "clicked"  # the replayed click landed on the page
    assert [s.action for s in steps] == [s.action for s in read_run(tmp_path / "rec")[1]]
