"""Stuck detection: repeated actions on an unchanging screen warn the model, then end the run."""

from PIL import Image, ImageDraw

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.actions import LeftClick, Point, Type
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.runlog import read_run
from guiagent.stuck import fingerprint, same_action, screens_differ
from guiagent.testing import GlmModelServer, glm_answer

WARNING = "you have now chosen this same action"


def run(tmp_path, answers, driver, **config):
    with GlmModelServer(answers) as server:
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run", max_steps=8, **config))
        result = agent.run("Open the menu.")
    record, steps = read_run(result.run_dir)
    return result, record, steps, server.requests


def click(x=300, y=400):
    return glm_answer(f"left_click(start_box='[{x},{y}]', element_info='Menu')")


def test_same_click_on_a_dead_screen_warns_then_stops(tmp_path):
    driver = ScriptedDriver("640x360", static=True)
    answers = [click(300, 400), click(303, 398), click(300, 400), click(301, 401), click()]
    result, record, steps, requests = run(tmp_path, answers, driver)
    assert result.outcome == record.outcome == "stuck"
    assert "3 times" not in record.error.message and "5 times in a row" in record.error.message
    assert [s.extra["repeats"] for s in steps] == [1, 2, 3, 4, 5]
    assert len(driver.actions) == 4  # the fifth click was not executed
    assert steps[4].result == "not executed"
    assert not any(WARNING in r.text for r in requests[:3])
    assert f"{WARNING} 3 times" in requests[3].text
    assert f"{WARNING} 4 times" in requests[4].text


def test_repeats_that_change_the_screen_are_not_stuck(tmp_path):
    driver = ScriptedDriver("640x360")  # the screen changes after every action
    result, _, steps, requests = run(tmp_path, [click()], driver)
    assert result.outcome == "max_steps"
    assert len(driver.actions) == 8
    assert not any(WARNING in r.text for r in requests)


def test_different_actions_on_a_dead_screen_are_not_stuck(tmp_path):
    driver = ScriptedDriver("640x360", static=True)
    answers = [click(100 * i, 400) for i in range(1, 9)]
    result, _, _, _ = run(tmp_path, answers, driver)
    assert result.outcome == "max_steps"


def test_counts_are_configurable_and_can_be_switched_off(tmp_path):
    driver = ScriptedDriver("640x360", static=True)
    result, _, steps, requests = run(tmp_path / "a", [click()], driver,
                                     stuck_warn_after=1, stuck_stop_after=2)
    assert result.outcome == "stuck" and len(steps) == 2
    assert f"{WARNING} 1 times" in requests[1].text
    driver = ScriptedDriver("640x360", static=True)
    result, _, _, _ = run(tmp_path / "b", [click()], driver, stuck_warn_after=None,
                          stuck_stop_after=None)
    assert result.outcome == "max_steps" and len(driver.actions) == 8


def test_screen_comparison_tolerates_a_caret_but_not_a_change():
    base = Image.new("RGB", (1280, 720), "white")
    caret = base.copy()
    ImageDraw.Draw(caret).rectangle((400, 300, 401, 316), fill="black")
    dialog = base.copy()
    ImageDraw.Draw(dialog).rectangle((400, 300, 800, 500), fill=(90, 90, 90))
    assert not screens_differ(fingerprint(base), fingerprint(caret))
    assert screens_differ(fingerprint(base), fingerprint(dialog))


def test_one_more_typed_character_is_a_change():
    """A coarse thumbnail missed this: the field gains one small letter and nothing else."""
    field = Image.new("RGB", (1280, 720), "white")
    ImageDraw.Draw(field).rectangle((300, 200, 700, 230), outline="gray")
    ImageDraw.Draw(field).text((305, 208), "aaaa", fill="black")
    more = field.copy()
    ImageDraw.Draw(more).text((305, 208), "aaaaa", fill="black")
    assert screens_differ(fingerprint(field), fingerprint(more))
    assert not screens_differ(fingerprint(field), fingerprint(field.copy()))


def test_same_action_ignores_element_info_and_small_jitter():
    a = LeftClick(start_box=Point(x=300, y=400), element_info="Menu")
    assert same_action(a, LeftClick(start_box=Point(x=309, y=391)))
    assert not same_action(a, LeftClick(start_box=Point(x=320, y=400)))
    assert not same_action(Type(content="a"), Type(content="b"))
