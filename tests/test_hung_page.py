"""A page whose script stops yielding (an endless loop) ends the run with a clear error,
instead of holding it for ever: the guard's check of what a click presses and the click
itself both have deadlines. The page starts spinning while the model thinks, after the
step's screenshot, as a hostile or broken page would."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.guard import ActionGuard
from guiagent.runlog import read_run
from guiagent.serving import ThreadedWsgiServer
from guiagent.testing.model_server import GlmModelServer, Reply, glm_answer

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><title>Spins</title>
<button style="width:300px;height:100px" onclick="fetch('/clicked', {method: 'POST'})">Go</button>
<script>
const ask = () => fetch('/spin').then(r => r.text()).then(t => {
  if (t === 'yes') { while (true); } else setTimeout(ask, 50);
});
ask();
</script>"""


class SpinningSite:
    """The page, told to spin once the model has been asked."""

    def __init__(self) -> None:
        self.spin = threading.Event()
        self.clicked = False
        app = Flask("spinning-site")
        app.add_url_rule("/", "page", lambda: PAGE)
        app.add_url_rule("/spin", "spin", lambda: "yes" if self.spin.is_set() else "no")

        @app.post("/clicked")
        def clicked() -> str:
            self.clicked = True
            return "ok"

        self.server = ThreadedWsgiServer(app, name="spinning-site").start()


@pytest.fixture
def site():
    made = SpinningSite()
    yield made
    made.server.stop()


def _run(site: SpinningSite, tmp_path, *, guard: bool):
    def respond(req):
        site.spin.set()  # the screenshot is taken; the page stops responding while we think
        return Reply(glm_answer("left_click(start_box='[100,60]', element_info='Go')",
                                thinking="I press Go."), delay=1.0)

    with GlmModelServer(respond) as model:
        driver = PlaywrightDriver(site.server.origin + "/", input_timeout=3)
        hooks = []
        if guard:
            hooks.append(ActionGuard())
            hooks[0].prepare(driver)
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=model.base_url, retries=0)),
                      hooks=hooks, config=AgentConfig(run_dir=tmp_path / "run", max_steps=3))
        with driver:
            return agent.run("Press Go")


@pytest.mark.parametrize("guard", [True, False], ids=["guarded", "unguarded"])
def test_a_page_that_stops_responding_ends_the_run_with_a_clear_error(site, tmp_path, guard):
    result = _run(site, tmp_path, guard=guard)
    assert result.outcome == "error"
    assert "stopped responding" in str(result.error)
    record, steps = read_run(tmp_path / "run")
    assert record.outcome == "error" and record.error is not None
    assert record.error.type == "PageNotRespondingError"
    # the log is complete up to the failure: the step says what it tried and why it failed
    assert [s.call for s in steps] == ["left_click(start_box='[100,60]', element_info='Go')"]
    assert steps[0].result == "failed" and steps[0].error is not None
    assert steps[0].error.type == "PageNotRespondingError"
    assert not site.clicked
