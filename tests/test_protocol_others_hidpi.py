"""A click on an 8x8 px target lands for every family at device scale 2, with and without --max-pixels.

The stand-in writes the point in its family's coordinates for the screenshot it
received (2560x1440 device pixels, or that scaled down to 1280x720); the page
records which element the click hit.
"""

import urllib.parse

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.testing import plan_intentions, standin_server
from guiagent.testing.page_plan import ClickOn, Finish

pytestmark = pytest.mark.browser

FAMILIES = ["ui-tars", "qwen25vl", "qwen3vl", "json"]
PAGE = "data:text/html," + urllib.parse.quote("""<!doctype html><html><body style="margin:0">
<div id="hit" style="font:16px sans-serif">none</div>
<button id="tiny" style="position:absolute;left:1013px;top:587px;width:8px;height:8px;
 padding:0;border:0;background:#c00" onclick="document.getElementById('hit').textContent='tiny'">
</button></body></html>""")


@pytest.fixture(scope="module")
def tiny_plan():
    return plan_intentions(PAGE, [ClickOn("#tiny", "the red square"), Finish()])


@pytest.mark.parametrize("max_pixels", [None, 1280 * 720], ids=["device-pixels", "max-pixels"])
@pytest.mark.parametrize("protocol", FAMILIES)
def test_tiny_target_at_device_scale_2(protocol, max_pixels, tiny_plan, shared_browser, tmp_path):
    with standin_server(protocol, tiny_plan) as server:
        driver = PlaywrightDriver(PAGE, device_scale_factor=2, screenshot_scale="device",
                                  browser=shared_browser.get())
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      protocol=protocol,
                      config=AgentConfig(run_dir=tmp_path / "run", max_steps=3,
                                         max_image_pixels=max_pixels))
        with driver:
            result = agent.run("Click the red square.")
            hit = driver.page.inner_text("#hit")
    assert result.outcome == "done", result.error
    expected = (2560, 1440) if max_pixels is None else (1280, 720)
    assert server.requests[0].images[-1].size == expected
    assert hit == "tiny"
