"""PlaywrightDriver in real headless Chromium: every action as real input events, at the right pixel."""

import pytest

from guiagent.actions import (
    Hover,
    Key,
    LeftClick,
    LeftDoubleClick,
    LeftDrag,
    MiddleClick,
    Point,
    RightClick,
    Scroll,
    Type,
)
from guiagent.drivers.playwright import PlaywrightDriver
from guiagent.errors import OffScreenError

pytestmark = pytest.mark.browser

PAGE = """data:text/html;charset=utf-8,
<style>body{margin:0;height:3000px} input,select{font-size:16px}</style>
<input id=t style="position:absolute;left:100px;top:100px;width:300px">
<input id=d type=date style="position:absolute;left:100px;top:160px">
<input id=n type=number style="position:absolute;left:100px;top:220px">
<select id=s style="position:absolute;left:500px;top:100px"><option>Red</option><option>Green</option><option>Blue</option></select>
<div id=drag style="position:absolute;left:700px;top:300px;width:40px;height:40px;background:red"></div>
<script>
window.events = [];
const log = (e) => window.events.push({type: e.type, x: e.clientX, y: e.clientY, button: e.button,
  key: e.key, ctrl: e.ctrlKey, shift: e.shiftKey, detail: e.detail});
['click','dblclick','contextmenu','auxclick','mousemove','mousedown','mouseup'].forEach(t => document.addEventListener(t, log));
document.addEventListener('keydown', log);
document.addEventListener('contextmenu', e => e.preventDefault());
</script>"""


def model(x, y, w=1280, h=720):
    return Point(x=x / w * 1000, y=y / h * 1000)


@pytest.fixture(scope="module")
def driver():
    with PlaywrightDriver(PAGE, settle_ms=0) as d:
        yield d


@pytest.fixture
def page(driver):
    driver.page.goto(PAGE)
    return driver.page


def events(page, type_):
    return [e for e in page.evaluate("window.events") if e["type"] == type_]


def test_observe(driver, page):
    obs = driver.observe()
    assert obs.pil().size == (1280, 720)
    assert obs.frame.surface.width == 1280
    assert obs.mime == "image/jpeg" and obs.url.startswith("data:text/html")


def test_clicks_land_on_the_pixel(driver, page):
    f = driver.observe().frame
    result = driver.act(LeftClick(start_box=model(640, 360)), f)
    assert result.points[0].surface.rounded() == (640, 360)
    assert [(e["x"], e["y"], e["button"]) for e in events(page, "click")] == [(640, 360, 0)]
    driver.act(RightClick(start_box=model(10, 20)), f)
    assert [(e["x"], e["y"]) for e in events(page, "contextmenu")] == [(10, 20)]
    driver.act(MiddleClick(start_box=model(30, 40)), f)
    assert [(e["x"], e["y"]) for e in events(page, "auxclick") if e["button"] == 1] == [(30, 40)]
    driver.act(LeftDoubleClick(start_box=model(50, 60)), f)
    assert [(e["x"], e["y"]) for e in events(page, "dblclick")] == [(50, 60)]
    driver.act(Hover(start_box=model(70, 80)), f)
    assert events(page, "mousemove")[-1]["x"] == 70


def test_drag_presses_moves_releases(driver, page):
    f = driver.observe().frame
    driver.act(LeftDrag(start_box=model(720, 320), end_box=model(900, 500)), f)
    down, up = events(page, "mousedown")[-1], events(page, "mouseup")[-1]
    assert (down["x"], down["y"]) == (720, 320) and (up["x"], up["y"]) == (900, 500)
    assert len([e for e in events(page, "mousemove") if 720 < e["x"] < 900]) >= 5


def test_scroll_by_wheel_steps(driver, page):
    f = driver.observe().frame
    driver.act(Scroll(start_box=model(640, 360), direction="down", step=3), f)
    assert page.evaluate("window.scrollY") == 300
    driver.act(Scroll(start_box=model(640, 360), direction="up", step=1), f)
    assert page.evaluate("window.scrollY") == 200


def test_typing_unicode_and_key_combos(driver, page):
    f = driver.observe().frame
    driver.act(LeftClick(start_box=model(250, 110)), f)
    driver.act(Type(content="Café Müller €5 日本 😀"), f)
    assert page.input_value("#t") == "Café Müller €5 日本 😀"
    driver.act(Key(keys="ctrl+a"), f)
    driver.act(Key(keys="backspace"), f)
    assert page.input_value("#t") == ""
    combo = [e for e in events(page, "keydown") if e["key"] == "a"][-1]
    assert combo["ctrl"] is True


def test_date_and_number_inputs_take_typed_keys(driver, page):
    f = driver.observe().frame
    box = page.locator("#d").bounding_box()
    driver.act(LeftClick(start_box=model(box["x"] + 12, box["y"] + box["height"] / 2)), f)
    driver.act(Type(content="03142027"), f)
    assert page.input_value("#d") == "2027-03-14"
    box = page.locator("#n").bounding_box()
    driver.act(LeftClick(start_box=model(box["x"] + 20, box["y"] + box["height"] / 2)), f)
    driver.act(Type(content="42.5"), f)
    assert page.input_value("#n") == "42.5"


def test_native_select_opened_by_click_then_option_clicked(driver, page):
    f = driver.observe().frame
    box = page.locator("#s").bounding_box()
    driver.act(LeftClick(start_box=model(box["x"] + 10, box["y"] + box["height"] / 2)), f)
    # The options are now visible on the page (and so in the screenshot) ...
    option = page.locator("[data-guiagent-select-list] [role=option]", has_text="Blue")
    ob = option.bounding_box()
    assert ob is not None and ob["y"] > box["y"]
    # ... and a click where "Blue" is drawn chooses it, firing change.
    page.evaluate("window.changed = 0; document.querySelector('#s')"
                  ".addEventListener('change', () => window.changed++)")
    driver.act(LeftClick(start_box=model(ob["x"] + 5, ob["y"] + ob["height"] / 2)), f)
    assert page.input_value("#s") == "Blue"
    assert page.evaluate("window.changed") == 1
    assert page.locator("[data-guiagent-select-list]").count() == 0


def test_keyboard_picks_select_option(driver, page):
    f = driver.observe().frame
    box = page.locator("#s").bounding_box()
    driver.act(LeftClick(start_box=model(box["x"] + 10, box["y"] + box["height"] / 2)), f)
    driver.act(Key(keys="down"), f)
    driver.act(Key(keys="enter"), f)
    assert page.input_value("#s") == "Green"


def test_off_screen_point_is_refused_and_not_executed(driver, page):
    f = driver.observe().frame
    with pytest.raises(OffScreenError):
        driver.act(LeftClick(start_box=Point(x=1200, y=10)), f)
    assert events(page, "click") == []


def test_device_scale_factor_two_and_resized_screenshot():
    with PlaywrightDriver(PAGE, device_scale_factor=2, screenshot_scale="device",
                          settle_ms=0) as d:
        obs = d.observe()
        assert obs.pil().size == (2560, 1440)
        assert obs.frame.screenshot.width == 2560 and obs.frame.surface.width == 1280
        small = obs.fitted(640 * 360)   # what a token-saving resize would send
        assert small.pil().size == (640, 360)
        for o in (obs, small):
            r = d.act(LeftClick(start_box=model(640, 360)), o.frame)
            assert r.points[0].surface.rounded() == (640, 360)
            assert r.points[0].device.rounded() == (1280, 720)
        assert [(e["x"], e["y"]) for e in events(d.page, "click")] == [(640, 360)] * 2
        # A point found in the device-pixel screenshot maps back to the CSS point.
        m = obs.frame.to_model(1280, 720)
        assert d.act(LeftClick(start_box=Point(x=m.x, y=m.y)), obs.frame).points[0].surface.rounded() == (640, 360)
