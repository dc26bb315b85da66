"""``guiagent mcp --display :N``: the SDK's client over stdio clicks and types on an X11 desktop.

The input probe (a Tk window in a sandbox desktop) records what X11 delivered,
so the test sees the click land on its red square and the keys arrive.
"""

import asyncio
import base64
import io
import sys

import pytest
from mcp import Client, StdioServerParameters
from PIL import Image

from guiagent.runlog import read_run
from guiagent.sandboxes.desktop import DesktopSandbox, launch_probe

pytestmark = pytest.mark.desktop

TARGET = (900, 500)  # root pixel of the probe's red square


def test_desktop_session_clicks_and_types(tmp_path):
    with DesktopSandbox(size="1280x720") as desk:
        probe = launch_probe(desk, tmp_path / "events.jsonl", target=TARGET)
        text_box = probe.ready()["text_box"]  # (left, top, width, height) in root pixels
        params = StdioServerParameters(command=sys.executable, args=[
            "-m", "guiagent.cli.main", "mcp", "--display", desk.display, "--input", "xdotool",
            "--runs", str(tmp_path / "runs")], env={"DISPLAY": desk.display})

        async def session() -> tuple[Image.Image, str, str]:
            async with Client(params) as c:
                shot = await c.call_tool("screenshot", {})
                image = next(p for p in shot.content if p.type == "image")
                hit = await c.call_tool("click", {"x": TARGET[0], "y": TARGET[1], "pixels": True})
                x = (text_box[0] + text_box[2] / 2) / 1.28
                y = (text_box[1] + text_box[3] / 2) / 0.72
                await c.call_tool("click", {"x": x, "y": y})
                typed = await c.call_tool("type", {"text": "mcp grüßt"})
                marks["pointer"] = probe.mark()
                pixels = {"x": TARGET[0], "y": TARGET[1], "pixels": True}
                others = [await c.call_tool("right_click", pixels),
                          await c.call_tool("double_click", pixels),
                          await c.call_tool("scroll", {"x": 700, "y": 700, "direction": "down",
                                                       "amount": 3}),
                          await c.call_tool("drag", {"x": 100, "y": 300, "to_x": 300, "to_y": 600})]
                assert not any(r.is_error for r in others), [r.content[0].text for r in others]
                return (Image.open(io.BytesIO(base64.b64decode(image.data))),
                        hit.content[0].text, typed.content[0].text)

        marks = {"start": probe.mark()}
        image, hit, typed = asyncio.run(session())
        events = probe.events(marks["start"])
        presses = [(e["x"], e["y"]) for e in events if e["event"] == "press" and e["button"] == 1]
        text = probe.wait_for(lambda ev: any(e["event"] == "text" and "grüßt" in e["text"]
                                             for e in ev), since=marks["start"])
        pointer = probe.wait_for(lambda ev: any(e["event"] == "release" and (e["x"], e["y"]) ==
                                                (384, 432) for e in ev), since=marks["pointer"])
    assert image.size == (1280, 720)
    assert presses and presses[0] == TARGET, (hit, events)
    assert any(e["event"] == "text" and e["text"].endswith("mcp grüßt") for e in text), (typed, text)
    # right click (button 3), double click (two presses), three wheel clicks down (button 5)
    # at (700, 700) of 1000 = (896, 504) px, a drag from (128, 216) px to (384, 432) px.
    pressed = [(e["button"], e["x"], e["y"]) for e in pointer if e["event"] == "press"]
    assert pressed == [(3, *TARGET), (1, *TARGET), (1, *TARGET), *[(5, 896, 504)] * 3,
                       (1, 128, 216)], pointer
    assert len([e for e in pointer if e["event"] == "motion"]) >= 5
    (folder,) = (tmp_path / "runs").iterdir()
    record, steps = read_run(folder)
    assert record.driver["name"] == "desktop" and [s.actor for s in steps] == ["tool"] * 7
    assert [s.action.action for s in steps][3:] == ["right_click", "left_double_click", "scroll",
                                                     "left_drag"]
