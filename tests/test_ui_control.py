"""LiveControl without a browser: take-over actions pass the guard and are logged as human
steps the model is told about; the approval timeout policy; stop while held. The agent runs
on its own thread against the real HTTP stand-in model and the scripted driver."""

from __future__ import annotations

import threading

import pytest

from guiagent.actions import Key, Type
from guiagent.agent import Agent, AgentConfig, RunResult
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.guard import ActionGuard, GuardPolicy
from guiagent.hooks import AgentHooks
from guiagent.model import ModelSettings, OpenAIChatClient
from guiagent.runlog import read_run
from guiagent.testing.model_server import GlmModelServer, Reply, glm_answer
from guiagent.ui import EventHub, LiveControl
from guiagent.ui.app import ActRequest, person_action
from guiagent.ui.control import NotTakenOverError

WAIT = 60


def _start(control: LiveControl, driver: ScriptedDriver, model: GlmModelServer, tmp_path,
           policy: GuardPolicy | None = None, hooks: list | None = None) -> tuple[threading.Thread, dict]:
    guard = ActionGuard(policy, confirm=control.confirm)
    agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=model.base_url, retries=0)),
                  config=AgentConfig(run_dir=tmp_path / "run", max_steps=10, handle_signals=False),
                  hooks=[control, guard, *(hooks or [])])
    control.follow(agent)
    out: dict[str, RunResult] = {}
    thread = threading.Thread(target=lambda: out.setdefault("result", agent.run("Do it")))
    thread.start()
    return thread, out


def _state(hub: EventHub, state: str) -> None:
    assert hub.wait_for(lambda e: e.get("type") == "state" and e.get("state") == state, WAIT), \
        [e for e in hub.events() if e["type"] == "state"]


def test_take_over_runs_through_the_guard_and_the_model_hears_of_it(tmp_path):
    hub = EventHub()
    published: list[dict] = []
    publish = hub.publish
    hub.publish = lambda event: (published.append(event), publish(event))[1]  # type: ignore[method-assign]
    control = LiveControl(hub)
    driver = ScriptedDriver()
    control.take_over()  # before the first step: the person acts first
    with GlmModelServer([glm_answer("DONE()")]) as model:
        thread, out = _start(control, driver, model, tmp_path)
        _state(hub, "taken over")
        control.submit(Key(keys="ctrl+alt+delete"))
        control.submit(Type(content="hello"))
        assert hub.wait_for(lambda e: e.get("type") == "step" and e["index"] == 2, WAIT)
        assert not model.requests  # the model is not asked while the person has control
        control.resume()
        thread.join(WAIT)
    result = out["result"]
    assert result.outcome == "done"
    assert driver.actions == [Type(content="hello")]  # the denied combination never ran
    record, steps = read_run(result.run_dir)
    assert [s.actor for s in steps] == ["human", "human", "model"]
    assert steps[0].result == "refused" and steps[1].result not in ("refused", "")
    assert steps[0].error is not None and "not allowed" in steps[0].error.message
    prompt = model.requests[0].text
    assert "took control and did this themselves: key(keys='ctrl+alt+delete')" in prompt
    assert "refused" in prompt and "type(content='hello')" in prompt
    assert "gave control back" in prompt
    # The model's reply streamed to the page piece by piece (then its step carried it whole).
    pieces = [e for e in published if e["type"] == "delta" and e["index"] == 3]
    assert "".join(e["text"] for e in pieces if e["kind"] == "thinking") == steps[2].thinking
    assert not any(e["type"] == "delta" for e in hub.events())  # not kept past the step
    shown = [e for e in hub.events() if e["type"] == "step"]
    assert [e["actor"] for e in shown] == ["human", "human", "model"]
    assert any(e["type"] == "screen" and e["after"] == 2 for e in hub.events())


@pytest.mark.parametrize("policy", ["reject", "stop"])
def test_unanswered_confirmation_follows_the_timeout_policy(tmp_path, policy):
    hub = EventHub()
    control = LiveControl(hub, confirm_timeout=0.5, on_timeout=policy)
    driver = ScriptedDriver()
    answers = [glm_answer("left_click(start_box='[500,500]', element_info='Delete account')"),
               glm_answer("DONE()")]
    with GlmModelServer(answers) as model:
        thread, out = _start(control, driver, model, tmp_path)
        thread.join(WAIT)
    result = out["result"]
    assert driver.actions == []
    done = hub.wait_for(lambda e: e.get("type") == "confirm_done", 0)
    assert done is not None and done["verdict"] == "timed out"
    if policy == "reject":
        assert result.outcome == "done" and result.steps[0].result == "refused"
    else:
        assert result.outcome == "interrupted" and "no one answered" in str(result.error)


def test_approved_confirmation_runs_and_stop_while_paused_ends_the_run(tmp_path):
    hub = EventHub()
    control = LiveControl(hub)
    driver = ScriptedDriver()
    answers = [glm_answer("left_click(start_box='[500,500]', element_info='Buy now')"),
               glm_answer("WAIT()")]
    with GlmModelServer(answers) as model:
        thread, out = _start(control, driver, model, tmp_path)
        asked = hub.wait_for(lambda e: e.get("type") == "confirm", WAIT)
        assert asked is not None and "Buy now" in asked["question"]
        control.pause()  # held before the next step
        assert not control.answer(asked["id"] + 1, True)  # not the open question
        assert control.answer(asked["id"], True)
        _state(hub, "paused")
        with pytest.raises(NotTakenOverError):
            control.submit(Type(content="x"))
        control.stop()
        thread.join(WAIT)
    result = out["result"]
    assert len(driver.actions) == 1 and driver.actions[0].action == "left_click"
    assert result.outcome == "interrupted" and len(result.steps) == 1
    assert result.steps[0].extra["guard"]["confirmed"] is True


def test_person_action_maps_screen_pixels_to_model_space():
    class Shown:
        def frame_of(self, version):
            if version != 7:
                return None
            with ScriptedDriver("1000x500") as driver:
                return driver.observe()

    click = person_action(ActRequest(kind="click", version=7, x=250, y=125), Shown())
    assert (click.action, click.start_box.x, click.start_box.y) == ("left_click", 250, 250)
    scroll = person_action(ActRequest(kind="scroll", direction="up", version=7, x=0, y=500), Shown())
    assert scroll.direction == "up" and scroll.start_box.y == 1000
    with pytest.raises(NotTakenOverError):
        person_action(ActRequest(kind="click", version=6, x=1, y=1), Shown())
    from guiagent.errors import ConfigError

    with pytest.raises(ConfigError, match="outside"):
        person_action(ActRequest(kind="click", version=7, x=1001, y=1), Shown())
    with pytest.raises(ConfigError, match="unknown key"):
        person_action(ActRequest(kind="key", keys="ctrl+frobnicate"), Shown())


def _post(server, path: str, body: dict) -> tuple[int, dict]:
    import http.client
    import json

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body),
                     headers={"Origin": f"http://127.0.0.1:{server.port}", "X-Guiagent": "1",
                              "Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


@pytest.mark.desktop
def test_sandbox_desktop_run_started_and_taken_over_through_the_api(tmp_path):
    """The form's "sandbox desktop" choice: a fresh Xvfb with the app; the model's click and the
    person's typing (take-over) both reach it."""
    import sys

    from guiagent.sandboxes.desktop.probe import ProbeLog
    from guiagent.ui import UiServer

    probe = ProbeLog(tmp_path / "probe.jsonl")
    typed = "Grüße ✓"

    def respond(request):
        if "took control" in request.text:
            return glm_answer("DONE()")
        if request.step > 1:
            x = 500 + (request.step % 20) * 20
            return Reply(glm_answer(f"hover(start_box='[{x},950]', element_info='')"), delay=0.3)
        left, top, width, height = probe.ready()["text_box"]  # the app is up before step 1
        w, h = request.images[0].size
        x, y = round((left + width / 2) / w * 1000), round((top + height / 2) / h * 1000)
        return glm_answer(f"left_click(start_box='[{x},{y}]', element_info='text box')")

    app = f"{sys.executable} -m guiagent.sandboxes.desktop.probe_app --log {probe.path}"
    with GlmModelServer(respond) as model, UiServer(tmp_path / "runs") as server:
        status, started = _post(server, "/api/runs", {
            "task": "Write the greeting", "target": "desktop", "app": app,
            "model_url": model.base_url, "viewport": "1024x768", "max_steps": 200})
        assert status == 201, started
        hub = server.manager.get(started["id"]).hub
        assert hub.wait_for(lambda e: e.get("type") == "step" and e["index"] == 1, WAIT)
        api = f"/api/runs/{started['id']}"
        assert _post(server, api + "/take-over", {})[0] == 200
        _state(hub, "taken over")
        assert _post(server, api + "/act", {"kind": "type", "text": typed})[0] == 202
        assert hub.wait_for(lambda e: e.get("type") == "step" and e["actor"] == "human", WAIT)
        assert _post(server, api + "/give-back", {})[0] == 200
        finished = hub.wait_for(lambda e: e.get("type") == "finished", WAIT)
    assert finished is not None and finished["outcome"] == "done", finished
    assert any(e["event"] == "press" for e in probe.events()), probe.events()
    assert probe.text() == typed
    record, steps = read_run(tmp_path / "runs" / started["id"])
    assert record.driver["name"] == "desktop" and steps[0].executed
    assert [s.call for s in steps if s.actor == "human"] == [f"type(content='{typed}')"]
    assert (tmp_path / "runs" / started["id"] / "report.html").is_file()


def test_model_from_log_replay_retakes_the_persons_steps(tmp_path):
    from guiagent.actions import LeftClick, Point
    from guiagent.replay import replay_with_model_log

    hub = EventHub()
    control = LiveControl(hub)
    answers = [glm_answer("left_click(start_box='[100,100]', element_info='')"),
               glm_answer("left_click(start_box='[300,300]', element_info='')"), glm_answer("DONE()")]
    class TakeOverAfterStepOne(AgentHooks):
        def on_step_end(self, step):
            if step.index == 1:
                control.take_over()

    with GlmModelServer(answers) as model:
        thread, out = _start(control, ScriptedDriver(), model, tmp_path, hooks=[TakeOverAfterStepOne()])
        _state(hub, "taken over")
        control.submit(LeftClick(start_box=Point(x=500, y=500)))
        control.submit(Type(content="hi"))
        assert hub.wait_for(lambda e: e.get("type") == "step" and e["index"] == 3, WAIT)
        control.resume()
        thread.join(WAIT)
    recorded = out["result"]
    assert [s.actor for s in recorded.steps] == ["model", "human", "human", "model", "model"]

    driver = ScriptedDriver()
    report = replay_with_model_log(recorded.run_dir, driver, out=tmp_path / "replay")
    assert report.reproduced, report.summary
    assert [a.to_call() for a in driver.actions] == [s.call for s in recorded.steps[:4]]
    _, steps = read_run(tmp_path / "replay")
    assert [s.actor for s in steps] == ["model", "human", "human", "model", "model"]


def test_no_event_carries_a_secret_the_run_holds(tmp_path):
    from guiagent.secrets import Secrets, SecretsDriver
    from guiagent.ui.runs import finish

    secret = "tr0ub4dor&3"
    hub = EventHub()
    control = LiveControl(hub)
    driver = SecretsDriver(ScriptedDriver(), Secrets({"PW": secret}))
    answers = [glm_answer(f"left_click(start_box='[500,500]', element_info='Delete key {secret}')"),
               glm_answer(f"answer(content='the key was {secret}')", thinking=f"It is {secret}.")]
    with GlmModelServer(answers) as model:
        thread, out = _start(control, driver, model, tmp_path)
        asked = hub.wait_for(lambda e: e.get("type") == "confirm", WAIT)
        assert asked is not None and "Delete key {{secret:PW}}" in asked["question"]
        assert control.answer(asked["id"], False)
        thread.join(WAIT)
    result = out["result"]
    assert result.outcome == "answered"
    finish(control, result.run_dir, result.outcome, answer=result.answer, error=None)  # as the UI does
    finished = hub.wait_for(lambda e: e.get("type") == "finished", 0)
    assert finished is not None and finished["answer"] == "the key was {{secret:PW}}"
    assert "tr0ub4dor" not in repr(hub.events()) and "tr0ub4dor&amp;3" not in repr(hub.events())


def test_a_flood_of_actions_is_refused_not_queued_without_bound():
    from guiagent.ui.control import QUEUED_ACTIONS

    control = LiveControl(EventHub())
    control.take_over()  # no agent yet: nothing takes the actions off the queue
    for _ in range(QUEUED_ACTIONS):
        control.submit(Key(keys="tab"))
    with pytest.raises(NotTakenOverError, match="already waiting"):
        control.submit(Type(content="x" * 10_000))


def test_a_placeholder_is_refused_when_the_run_holds_no_secrets():
    from guiagent.errors import ActionRefusedError
    from guiagent.secrets import Secrets, SecretsDriver

    model = OpenAIChatClient(ModelSettings(base_url="http://127.0.0.1:9/v1", retries=0))
    plain, held = LiveControl(EventHub()), LiveControl(EventHub())
    plain.follow(Agent(ScriptedDriver(), model))
    held.follow(Agent(SecretsDriver(ScriptedDriver(), Secrets({"PW": "x1y2z3"})), model))
    for control in (plain, held):
        control.take_over()
    with pytest.raises(ActionRefusedError, match="GUIAGENT_SECRET_PW"):
        plain.submit(Type(content="{{secret:PW}}"))  # would be typed into the page as it is
    held.submit(Type(content="{{secret:PW}}"))  # the driver types the value
    plain.submit(Type(content="no placeholder"))
