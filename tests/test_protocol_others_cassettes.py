"""A cassette per family: a run recorded against ui-tars/qwen25vl/qwen3vl/json replays from its log.

The stand-in answers the recording; ``replay --model-from-log`` then runs the
whole loop again with no model server, building the family's requests and
parsing the recorded answers, and must reproduce what the page received.
"""

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.replay import replay_with_model_log
from guiagent.runlog import read_run
from guiagent.testing import plan_intentions, standin_server
from guiagent.testing.page_plan import ClickOn, Finish, TypeText

pytestmark = pytest.mark.browser

FAMILIES = ["ui-tars", "qwen25vl", "qwen3vl", "json"]
PLAN = [ClickOn("#full_name", "Full name field"), TypeText("Ada Lovelace"),
        ClickOn("#email", "Email address field"), TypeText("ada@example.org"), Finish()]
TASK = "Enter Ada Lovelace and ada@example.org in the form."


@pytest.fixture(scope="module")
def short_plan(web_sandbox):
    return plan_intentions(web_sandbox.url + "/contact", PLAN)


def fields(driver):
    return driver.page.input_value("#full_name"), driver.page.input_value("#email")


@pytest.mark.parametrize("protocol", FAMILIES)
def test_model_from_log_replays_the_family(protocol, sandbox, short_plan, shared_browser,
                                           tmp_path):
    url = sandbox.url + "/contact"
    with standin_server(protocol, short_plan) as server:
        driver = PlaywrightDriver(url, browser=shared_browser.get())
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      protocol=protocol, config=AgentConfig(run_dir=tmp_path / "rec", max_steps=10))
        with driver:
            result = agent.run(TASK)
            assert fields(driver) == ("Ada Lovelace", "ada@example.org")
    assert result.outcome == "done", result.error
    # The last request's images: full-size history screenshots for the multi-turn families.
    sizes = [im.size for im in server.requests[-1].images]
    assert sizes == ([(1280, 720)] * 5 if protocol in ("ui-tars", "qwen3vl") else [(1280, 720)])

    driver = PlaywrightDriver(url, browser=shared_browser.get())
    with driver:
        report = replay_with_model_log(tmp_path / "rec", driver, out=tmp_path / "replay")
        replayed_fields = fields(driver)
    assert report.reproduced and report.mismatches == [], report.mismatches
    assert replayed_fields == ("Ada Lovelace", "ada@example.org")
    _, recorded = read_run(tmp_path / "rec")
    record, steps = read_run(tmp_path / "replay")
    assert record.protocol == protocol and record.outcome == "done"
    assert [s.action for s in steps] == [s.action for s in recorded]
    assert [s.request.prompt for s in steps] == [s.request.prompt for s in recorded]
    assert [[p.surface for p in s.executed] for s in steps] == \
        [[p.surface for p in s.executed] for s in recorded]
