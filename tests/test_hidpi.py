"""Coordinates at device scale factor 1 and 2, with and without --max-pixels (glm41v-pc)."""

import json
import subprocess
import sys

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.geometry import ScreenFrame, Size
from guiagent.imaging import fit_size
from guiagent.protocols.coordinates import normalise_action
from guiagent.protocols.registry import make_protocol
from guiagent.runlog import read_run
from guiagent.testing import IntendedAction, standin_server

VIEWPORT = Size(width=1280, height=720)
# A 6x6 CSS-pixel target whose centre (641, 413) is not on a round thousandth.
PAGE = """<!doctype html><title>waiting</title><body style="margin:0">
<button id="t" style="position:absolute;left:638px;top:410px;width:6px;height:6px;padding:0;
border:0;background:red" onclick="document.title='hit '+event.clientX+','+event.clientY">
</button></body>"""
TARGET = (641 / 1280, 413 / 720)


@pytest.mark.parametrize(("scale", "max_pixels", "shot"), [
    (1.0, None, (1280, 720)), (2.0, None, (2560, 1440)), (1.0, 230_400, (640, 360)),
    (2.0, 921_600, (1280, 720)),
])
def test_glm41v_points_map_to_the_same_css_pixel(scale, max_pixels, shot) -> None:
    """The vectors: one answer, every space, whatever the screenshot's size."""
    full = Size(width=round(1280 * scale), height=round(720 * scale))
    screenshot = fit_size(full, max_pixels)
    assert (screenshot.width, screenshot.height) == shot
    frame = ScreenFrame(screenshot=screenshot, surface=VIEWPORT, device_scale_factor=scale)
    protocol = make_protocol("glm41v-pc")
    action, raw = normalise_action(protocol.parse("left_click(start_box='[501,574]')").action,
                                   protocol.coordinates, screenshot)
    assert raw["start_box"].model_dump() == {"x": 501, "y": 574}
    p = frame.resolve(action.start_box.x, action.start_box.y)
    assert p.model.model_dump() == {"x": 501, "y": 574}
    assert p.surface.model_dump() == {"x": 641.28, "y": 413.28}
    assert p.device.model_dump() == {"x": round(641.28 * scale, 2), "y": round(413.28 * scale, 2)}
    assert p.screenshot.model_dump() == {"x": round(0.501 * shot[0], 2),
                                         "y": round(0.574 * shot[1], 2)}


PLAN = [IntendedAction("click", TARGET, info="tiny target"), IntendedAction("done")]


@pytest.fixture
def tiny_page(tmp_path):
    page = tmp_path / "tiny.html"
    page.write_text(PAGE)
    return page.as_uri()


@pytest.mark.browser
def test_a_click_on_a_tiny_target_lands_at_scale_2(tiny_page, tmp_path) -> None:
    with standin_server("glm41v-pc", PLAN) as server:
        driver = PlaywrightDriver(tiny_page, device_scale_factor=2.0, screenshot_scale="device")
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run", max_steps=3))
        with driver:
            result = agent.run("Click the red square.")
            assert driver.page.title() == "hit 641,413"
    assert server.requests[0].images[0].size == (2560, 1440)
    _, steps = read_run(result.run_dir)
    p = steps[0].executed[0]
    assert (p.surface.x, p.surface.y) == (641.28, 413.28) and (p.device.x, p.device.y) == (
        1282.56, 826.56)
    assert steps[0].extra["raw_points"] == {"start_box": {"x": 501.0, "y": 574.0}}


@pytest.mark.browser
def test_cli_run_at_scale_2_with_max_pixels_hits_the_target(tiny_page, tmp_path) -> None:
    out = tmp_path / "cli"
    with standin_server("glm41v-pc", PLAN) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "run", "Click the red square.",
             "--url", tiny_page, "--model-url", server.base_url, "--out", str(out),
             "--device-scale-factor", "2", "--max-pixels", "921600", "--max-steps", "3"],
            capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "protocol: glm41v-pc (from the model name" in proc.stderr
    assert server.requests[0].images[0].size == (1280, 720)  # 2560x1440 scaled to --max-pixels
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    assert steps[1]["title"] == "hit 641,413"  # the second screenshot shows the click landed
    driver = json.loads((out / "run.json").read_text())["driver"]
    assert driver["device_scale_factor"] == 2.0
