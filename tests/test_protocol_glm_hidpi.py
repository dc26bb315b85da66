"""GLM-4.5V and GLM-4.1V web clicks land on an 8x8 px target at device scale 1 and 2, with --max-pixels.

glm45v's stand-in writes the point in thousandths of the screenshot it received
(0-999); glm41v-web's names the target's set-of-marks number, and guiagent clicks
that element's centre. The page records which element the click hit. Unit
vectors check glm45v's mapping: the prompt's 0-999 range, per mille of the width.
"""

import urllib.parse

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.geometry import ScreenFrame, Size
from guiagent.protocols.coordinates import normalise_action
from guiagent.protocols.glm45v import Glm45vProtocol
from guiagent.testing import plan_intentions, standin_server
from guiagent.testing.page_plan import ClickOn, Finish

PAGE = "data:text/html," + urllib.parse.quote("""<!doctype html><html><body style="margin:0">
<div id="hit" style="font:16px sans-serif">none</div>
<button id="tiny" aria-label="red square" style="position:absolute;left:1013px;top:587px;
 width:8px;height:8px;padding:0;border:0;background:#c00"
 onclick="document.getElementById('hit').textContent='tiny'"></button>
<button id="near" style="position:absolute;left:1030px;top:587px;width:8px;height:8px;padding:0;
 border:0" onclick="document.getElementById('hit').textContent='near'"></button></body></html>""")


@pytest.fixture(scope="module")
def tiny_plan():
    return plan_intentions(PAGE, [ClickOn("#tiny", "the red square"), Finish()])


@pytest.mark.browser
@pytest.mark.parametrize("scale,max_pixels,sent", [
    (2, None, (2560, 1440)), (2, 1280 * 720, (1280, 720)), (1, 400_000, (843, 474)),
], ids=["dsf2", "dsf2-max-pixels", "dsf1-max-pixels"])  # dsf 1 as is: the contact-form tests
@pytest.mark.parametrize("protocol", ["glm45v", "glm41v-web"])
def test_tiny_target(protocol, scale, max_pixels, sent, tiny_plan, shared_browser, tmp_path):
    with standin_server(protocol, tiny_plan) as server:
        driver = PlaywrightDriver(PAGE, device_scale_factor=scale, screenshot_scale="device",
                                  browser=shared_browser.get())
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      protocol=protocol, config=AgentConfig(run_dir=tmp_path / "run", max_steps=3,
                                                            max_image_pixels=max_pixels))
        with driver:
            result = agent.run("Click the red square.")
            hit = driver.page.inner_text("#hit")
    assert result.succeeded, result.error
    assert server.requests[0].images[-1].size == sent
    assert hit == "tiny"
    point = result.steps[0].executed[0]
    assert 1013 <= point.surface.x < 1021 and 587 <= point.surface.y < 595
    assert (point.device.x, point.device.y) == (point.surface.x * scale, point.surface.y * scale)


@pytest.mark.parametrize("raw,screenshot,surface,scale,expected", [
    ((500, 500), (1280, 720), (1280, 720), 1, (640, 360)),
    ((999, 999), (1280, 720), (1280, 720), 1, (1278.72, 719)),  # per mille, clamped to the last row
    ((0, 0), (1280, 720), (1280, 720), 1, (0, 0)),
    ((586, 446), (2560, 1440), (1280, 720), 2, (750.08, 321.12)),  # HiDPI: CSS px
    ((586, 446), (843, 474), (1280, 720), 1, (750.08, 321.12)),  # --max-pixels
])
def test_glm45v_point_vectors(raw, screenshot, surface, scale, expected):
    parsed = Glm45vProtocol().parse(f"I click.\nleft_click(start_box='[{raw[0]}, {raw[1]}]')\nMemory:\n[]")
    shot = Size(width=screenshot[0], height=screenshot[1])
    action, _ = normalise_action(parsed.action, Glm45vProtocol.coordinates, shot)
    frame = ScreenFrame(screenshot=shot, surface=Size(width=surface[0], height=surface[1]),
                        device_scale_factor=scale)
    p = frame.resolve(action.start_box.x, action.start_box.y)
    assert (p.surface.x, p.surface.y) == expected
    assert (p.device.x, p.device.y) == (expected[0] * scale, expected[1] * scale)
    assert (p.model.x, p.model.y) == raw  # thousandths: the raw value is the normalised one
