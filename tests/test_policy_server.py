"""The stand-in policy server: GLM answers computed from real screenshots, progress from the history."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter

import pytest
import yaml
from PIL import Image

from guiagent.geometry import Size
from guiagent.protocols.base import HistoryEntry, StepInput
from guiagent.protocols.glm41v_parse import parse_answer
from guiagent.protocols.glm41v_pc import Glm41vPcProtocol
from guiagent.testing.intentions import Click, ClickField, Done, Fail, TypeText
from guiagent.testing.model_server import decode_request
from guiagent.testing.policy_plans import WEB_PLANS, plans, suite_instructions
from guiagent.testing.policy_server import Policy, history_steps, policy_server

TASK = "Sign in with the username demo and the password demo123."
SIZE = Size(width=1280, height=720)
LOGIN_PLAN = [ClickField("Username"), TypeText("demo"), ClickField("Password"), TypeText("demo123"),
              Click("Sign in", button=True), Done()]


def suite() -> list[dict]:
    from importlib import resources
    return yaml.safe_load(resources.files("guiagent").joinpath("eval/suites/web.yaml").read_text())


def test_web_suite_shape_and_every_task_has_a_plan() -> None:
    tasks = suite()
    ids = [t["id"] for t in tasks]
    assert len(ids) >= 25 and len(set(ids)) == len(ids), Counter(ids).most_common(3)
    infeasible = [t for t in tasks if {"infeasible": True} in t["evaluate"]]
    assert len(infeasible) >= 3 and all("infeasible" in t["tags"] for t in infeasible)
    assert all(t["tags"] and t["evaluate"] and "{sandbox}" in t["url"] for t in tasks)
    kinds = {next(iter(c)) for t in tasks for c in t["evaluate"]}
    assert {"sql", "dom", "url", "answer", "infeasible"} <= kinds
    assert set(WEB_PLANS) == set(ids)
    assert len(plans()) == len(ids)
    # an infeasible task's plan ends in FAIL, every other plan in DONE or an answer
    for t in tasks:
        last = WEB_PLANS[t["id"]][-1]
        assert isinstance(last, Fail) == (t in infeasible), t["id"]


def shot(page) -> str:
    data = page.screenshot(type="jpeg", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


def request_body(task: str, image_url: str, history: list[str]) -> dict:
    chat = Glm41vPcProtocol().build_request(StepInput(
        task, image_url, SIZE, [HistoryEntry(h) for h in history], []))
    return {"model": "glm", "messages": chat.messages}


def answer_of(policy: Policy, body: dict) -> str:
    reply = policy(decode_request(body, 0))
    assert reply.status == 200, reply.content
    return reply.content


def centre_in(page, selector: str, call: str) -> bool:
    x, y = map(int, re.search(r"\[(\d+),(\d+)\]", call).groups())
    box = page.locator(selector).bounding_box()
    px, py = x / 1000 * 1280, y / 1000 * 720
    return box["x"] <= px <= box["x"] + box["width"] and box["y"] <= py <= box["y"] + box["height"]


@pytest.mark.browser
def test_policy_reads_the_screen_and_follows_the_history(web_sandbox, tmp_path) -> None:
    from guiagent.drivers.playwright import PlaywrightDriver

    policy = Policy({TASK: LOGIN_PLAN})
    with PlaywrightDriver(web_sandbox.url + "/login") as driver:
        page = driver.page
        first = answer_of(policy, request_body(TASK, shot(page), []))
        assert "(plan step 1 of 6)" in first
        call = parse_answer(first).action.to_call()
        assert call.startswith("left_click(") and centre_in(page, "#username", call), call
        # the history says two plan steps are done: the next one is the Password field
        history = [first, answer_of(policy, request_body(TASK, shot(page), [first]))]
        assert "type(content='demo')" in history[1]
        third = answer_of(policy, request_body(TASK, shot(page), history))
        assert centre_in(page, "#password", parse_answer(third).action.to_call())
        # a step without a plan mark (a scroll while looking) does not advance the plan
        looking = "I scroll to look for it.\nscroll(start_box='[500,500]', direction='down', step=3)"
        again = answer_of(policy, request_body(TASK, shot(page), [*history, looking]))
        assert "(plan step 3 of 6)" in again
        page.fill("#username", "demo")
        page.fill("#password", "demo123")
        marks = [f"x (plan step {i} of 6)" for i in range(1, 5)]
        button = answer_of(policy, request_body(TASK, shot(page), marks))
        assert centre_in(page, "#sign-in", parse_answer(button).action.to_call()), button
        done = answer_of(policy, request_body(TASK, shot(page), [*marks, "x (plan step 5 of 6)"]))
        assert parse_answer(done).action.to_call() == "DONE()"
    assert [d.plan_step for d in policy.decisions] == [1, 2, 3, 3, 5, 6]
    assert history_steps(request_body(TASK, "", [])["messages"][0]["content"][-1]["text"]) == []


def blank_image_url() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (1280, 720), "white").save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_wrong_answers_are_seeded_and_cover_every_kind() -> None:
    task = "Order a pizza on this site."
    plan = [TypeText("a"), TypeText("b"), TypeText("c"), Fail()]
    image = blank_image_url()

    def run(seed: int, rate: float) -> list[str]:
        policy = Policy({task: plan}, wrong_rate=rate, seed=seed)
        return [answer_of(policy, request_body(task, image, [f"x (plan step {i} of 4)"
                                                            for i in range(1, n + 1)]))
                for n in range(4)]

    assert run(1, 0.5) == run(1, 0.5)
    assert run(1, 0.5) != run(2, 0.5) or run(1, 0.5) != run(3, 0.5)
    always = run(7, 1.0)
    assert all("type(content=" not in a for a in always[:3])   # every step went wrong
    assert "DONE()" in always[3]                               # an infeasible task claimed done
    never = run(7, 0.0)
    assert [parse_answer(a).action.to_call() for a in never] == [
        "type(content='a')", "type(content='b')", "type(content='c')", "FAIL()"]
    with pytest.raises(ValueError):
        Policy({}, wrong_rate=1.5)


def test_unknown_task_is_a_clear_http_error() -> None:
    with policy_server({}) as server:
        body = json.dumps(request_body("Juggle", blank_image_url(), [])).encode()
        req = urllib.request.Request(server.base_url + "/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=30)
        assert info.value.code == 400
        assert "no plan for the task 'Juggle'" in info.value.read().decode()
        info.value.close()


def test_cli_serves_until_stopped() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "guiagent.testing.policy_server", "--port", "0",
                             "--wrong-rate", "0.2", "--delay", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line).group(1)
        from guiagent.testing import office_plans  # the office suite's plans are served too

        assert f"serving {len(suite_instructions()) + len(office_plans.plans())} task plans" in line
        with urllib.request.urlopen(url + "/models", timeout=10) as resp:
            assert json.load(resp)["data"][0]["id"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stdout.close()
    bad = subprocess.run([sys.executable, "-m", "guiagent.testing.policy_server", "--wrong-rate", "2"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "wrong_rate must be between 0 and 1" in bad.stderr


def test_a_refused_action_makes_the_policy_give_up() -> None:
    task = "Delete order #1031."
    policy = Policy({task: [Click("Delete order", button=True), Click("Yes, delete"), Done()]})
    chat = Glm41vPcProtocol().build_request(StepInput(task, blank_image_url(), SIZE, [HistoryEntry(
        "I click the button. (plan step 1 of 3)\nleft_click(start_box='[800,170]')",
        note="that action was refused and not executed: it needs a person's confirmation")], []))
    answer = answer_of(policy, {"model": "glm", "messages": chat.messages})
    assert parse_answer(answer).action.to_call() == "FAIL()"
