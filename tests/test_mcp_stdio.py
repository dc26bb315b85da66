"""``guiagent mcp`` driven by the official MCP SDK's own client over stdio.

The server is the real command in a child process with a real Chromium on the web
sandbox; the model behind ``ground`` and ``run_task`` is the GLM-format test server
on 127.0.0.1. What the tools did is checked where it lands: the sandbox's records,
the page a fresh screenshot shows, and the run folders.
"""

import asyncio
import base64
import io
import json
import re
import sys
from pathlib import Path

import pytest
from mcp import Client, MCPError, StdioServerParameters
from PIL import Image

from guiagent.geometry import Size
from guiagent.runlog import read_run
from guiagent.testing import GlmModelServer, glm_answer
from guiagent.testing.model_server import Reply

pytestmark = pytest.mark.browser

PASSWORD = "demo123"  # the sandbox's demo account; held by the server as secret PW
TOOLS = {"screenshot", "click", "double_click", "right_click", "drag", "scroll", "type", "key",
         "ground", "run_task", "run_skill", "list_runs"}


def measure_boxes(login_url: str) -> dict[str, list[int]]:
    """Boxes of the sign-in and welcome pages' controls in thousandths of a 1280x720
    viewport (what GLM would answer), keyed by the description the test grounds."""
    from guiagent.drivers.playwright import PlaywrightDriver

    def box(selector: str) -> list[int]:
        b = page.locator(selector).bounding_box()
        return [round(b["x"] / 1.28), round(b["y"] / 0.72),
                round((b["x"] + b["width"]) / 1.28), round((b["y"] + b["height"]) / 0.72)]

    with PlaywrightDriver(login_url, viewport=Size(width=1280, height=720)) as driver:
        page = driver.page
        boxes = {"the Username field": box("#username"), "the Password field": box("#password"),
                 "the Sign in button": box("#sign-in")}
        page.fill("#username", "demo")
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        page.wait_for_url("**/welcome")
        boxes["the Sign out button"] = box("#sign-out")
        return boxes


def stand_in_model(boxes: dict[str, list[int]]):
    """Grounding queries answered from the measured boxes; the agent signs out, then DONE."""
    def respond(req):
        asked = re.search(r"Locate (.+?) in the image", req.text)
        if asked:
            x1, y1, x2, y2 = boxes[asked.group(1)]
            return f"<think>I look.</think><answer><|begin_of_box|>[[{x1},{y1},{x2},{y2}]]<|end_of_box|></answer>"
        if "Keep scrolling" in req.task:  # never ends by itself; points 20/1000 apart: not stuck
            y = 100 + 20 * req.step % 800
            return Reply(glm_answer(f"scroll(start_box='[500,{y}]', direction='down', step=1, "
                                    "element_info='')"), delay=0.3)
        if req.step == 1:
            x1, y1, x2, y2 = boxes["the Sign out button"]
            return glm_answer(f"left_click(start_box='[{(x1 + x2) // 2},{(y1 + y2) // 2}]', "
                              "element_info='Sign out')", explanation="I sign out.")
        return glm_answer("DONE()", explanation="Signed out.")
    return respond


def server_params(url: str, runs: Path, *extra: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=[
        "-m", "guiagent.cli.main", "mcp", "--url", url, "--runs", str(runs), *extra],
        env={"GUIAGENT_SECRET_PW": PASSWORD})


def text_of(result) -> str:
    return "\n".join(c.text for c in result.content if c.type == "text")


def all_files_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file())


def test_tools_drive_a_real_page_through_guard_and_secrets(sandbox, tmp_path):
    boxes = measure_boxes(sandbox.url + "/login")
    sandbox.reset()
    runs = tmp_path / "runs"

    async def session(model_url: str) -> dict:
        seen: dict = {}
        async with Client(server_params(sandbox.url + "/login", runs, "--model-url", model_url)) as c:
            seen["tools"] = {t.name for t in (await c.list_tools()).tools}

            shot = await c.call_tool("screenshot", {})
            image = next(part for part in shot.content if part.type == "image")
            seen["image"] = Image.open(io.BytesIO(base64.b64decode(image.data)))
            seen["shot_info"] = json.loads(text_of(shot))

            # ground -> a point in 0-1000; click it; type; the password by pixels; Enter.
            user = (await c.call_tool("ground", {"description": "the Username field"})).structured_content
            seen["click"] = await c.call_tool("click", {"x": user["x"], "y": user["y"]})
            await c.call_tool("type", {"text": "demo"})
            pw = (await c.call_tool("ground", {"description": "the Password field"})).structured_content
            await c.call_tool("click", {"x": pw["pixel_x"], "y": pw["pixel_y"], "pixels": True})
            seen["typed"] = await c.call_tool("type", {"text": "{{secret:PW}}"})
            button = (await c.call_tool("ground", {"description": "the Sign in button"})).structured_content
            await c.call_tool("click", {"x": button["x"], "y": button["y"], "element": "Sign in"})
            seen["after_login"] = json.loads(text_of(await c.call_tool("screenshot", {})))

            # Refusals: a denied key, an action needing a person's yes, a point off the screen.
            seen["denied"] = await c.call_tool("key", {"keys": "ctrl+alt+delete"})
            seen["confirm"] = await c.call_tool("click", {"x": 500, "y": 500,
                                                          "element": "Delete my account"})
            seen["offscreen"] = await c.call_tool("click", {"x": 1500, "y": 10})
            seen["unknown_secret"] = await c.call_tool("type", {"text": "{{secret:NOPE}}"})

            # The whole agent loop on the same page: it signs out.
            progress: list = []

            async def on_progress(done, total, message):
                progress.append((done, total, message))

            seen["task"] = (await c.call_tool("run_task", {"task": "Sign out", "max_steps": 5},
                                              progress_callback=on_progress)).structured_content
            seen["progress"] = progress
            seen["after_task"] = json.loads(text_of(await c.call_tool("screenshot", {})))
            # A skill on the same page, its secret parameter given as the placeholder.
            seen["skill"] = (await c.call_tool("run_skill", {"name": "login", "params": {
                "username": "demo", "password": "{{secret:PW}}", "expect": "Welcome"}})
                             ).structured_content
            # A client that gives up on a task (its timeout cancels the call) stops the agent
            # before its next step; the next call runs once the driver is free.
            try:
                await c.call_tool("run_task", {"task": "Keep scrolling", "max_steps": 100},
                                  read_timeout_seconds=3)
                seen["gave_up"] = "no timeout"
            except MCPError as exc:
                seen["gave_up"] = str(exc)
            seen["runs"] = (await c.call_tool("list_runs", {})).structured_content["result"]
        return seen

    with GlmModelServer(stand_in_model(boxes)) as model:
        seen = asyncio.run(session(model.base_url))

    assert seen["tools"] >= TOOLS
    assert seen["image"].size == (1280, 720)
    assert seen["shot_info"]["width"] == 1280 and seen["shot_info"]["height"] == 720
    assert not seen["click"].is_error, text_of(seen["click"])
    assert "px of the screenshot" in text_of(seen["click"])

    # The page reacted: the sandbox recorded a successful sign-in (the real password
    # reached the form), and the next screenshot shows the welcome page.
    rows = sandbox.submissions("login")
    assert [(r["data"]["username"], r["data"]["success"]) for r in rows] == [("demo", True)] * 2, rows
    assert seen["after_login"]["url"].endswith("/welcome")
    assert PASSWORD not in text_of(seen["typed"])

    assert seen["denied"].is_error and "not allowed by the action policy" in text_of(seen["denied"])
    assert seen["confirm"].is_error and "confirmation" in text_of(seen["confirm"])
    assert "--policy" in text_of(seen["confirm"])
    assert seen["offscreen"].is_error and "outside the screenshot" in text_of(seen["offscreen"])
    assert "--policy" not in text_of(seen["offscreen"])  # no policy allows that
    unknown = text_of(seen["unknown_secret"])
    assert seen["unknown_secret"].is_error and "no secret named NOPE" in unknown
    assert "{{secret:PW}}" in unknown and PASSWORD not in unknown

    task = seen["task"]
    assert task["outcome"] == "done", task
    assert seen["after_task"]["url"].endswith("/login")  # the agent's click signed out
    assert [(p[0], p[1]) for p in seen["progress"]] == [(1, 5), (2, 5)]
    assert "left_click" in seen["progress"][0][2] and "DONE()" in seen["progress"][1][2]
    task_record, task_steps = read_run(task["run_folder"])
    assert task_record.outcome == "done" and task_steps[0].action.action == "left_click"
    assert (Path(task["run_folder"]) / "report.html").is_file()

    assert seen["skill"]["outcome"] == "done", seen["skill"]  # and the second sign-in above
    assert "timed out" in seen["gave_up"]
    (endless,) = [r for r in seen["runs"] if r["task"] == "Keep scrolling"]
    assert endless["outcome"] == "interrupted" and 1 <= endless["steps"] < 100, endless
    assert read_run(endless["run_folder"])[0].error.message.startswith("the MCP client cancelled")
    folders = {r["run_folder"]: r for r in seen["runs"]}
    sessions = [f for f, r in folders.items() if r["kind"] == "mcp"]
    assert len(sessions) == 1 and task["run_folder"] in folders

    # The session's own folder: every call a "tool" step, refusals logged, no secret anywhere.
    record, steps = read_run(sessions[0])
    assert record.kind == "mcp" and record.outcome in ("done", "interrupted")
    assert {s.actor for s in steps} == {"tool"}
    calls = [s.call or "" for s in steps]
    assert "type(content='{{secret:PW}}')" in calls
    refused = [s for s in steps if s.result == "refused"]
    assert [s.action.action for s in refused if s.action] == ["key", "left_click", "left_click", "type"]
    assert any("run_task" in c for c in calls) and any("run_skill" in c for c in calls)
    assert (Path(sessions[0]) / "report.html").is_file()
    assert PASSWORD not in all_files_text(runs)
