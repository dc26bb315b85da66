"""DesktopDriver on a real Xvfb: every action is checked against what X11 delivered.

A Tk probe window logs the root coordinates of each button event, each key
press and its text box content; the driver is run with both input backends.
"""

import os
import shutil
import subprocess
import time

import pytest
from PIL import ImageChops

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
from guiagent.drivers.check import check_driver
from guiagent.drivers.desktop import DesktopDriver
from guiagent.errors import ConfigError, OffScreenError
from guiagent.sandboxes.desktop import DesktopSandbox, display_processes, launch_probe

pytestmark = pytest.mark.desktop

TARGET = (900, 500)  # root pixel of the probe's red square (40x40)
BACKENDS = ["pyautogui", "xdotool"]


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with DesktopSandbox(size="1280x720") as sandbox:
        log = tmp_path_factory.mktemp("probe") / "events.jsonl"
        probe = launch_probe(sandbox, log, target=TARGET)
        yield sandbox, probe


@pytest.fixture(params=BACKENDS)
def driver(request, desk):
    sandbox, _ = desk
    with DesktopDriver(display=sandbox.display, backend=request.param) as drv:
        yield drv


@pytest.fixture
def probe(desk):
    return desk[1]


def presses(events, button=None):
    return [e for e in events if e["event"] == "press" and button in (None, e["button"])]


def pointer(sandbox):
    out = subprocess.run(["xdotool", "getmouselocation"], env=sandbox.env,
                         capture_output=True, text=True, check=True).stdout
    fields = dict(part.split(":") for part in out.split())
    return int(fields["x"]), int(fields["y"])


def red_box(image):
    """Bounding box of the pure red pixels of a screenshot."""
    r, g, b = image.convert("RGB").split()
    mask = ImageChops.multiply(
        ImageChops.multiply(r.point(lambda v: 255 if v > 200 else 0),
                            g.point(lambda v: 255 if v < 60 else 0)),
        b.point(lambda v: 255 if v < 60 else 0),
    )
    return mask.getbbox()


@pytest.mark.parametrize("model_point", [(500, 500), (123, 877), (0, 300), (999, 999)])
def test_click_lands_on_the_model_point(driver, probe, model_point):
    frame = driver.observe().frame
    mark = probe.mark()
    result = driver.act(LeftClick(start_box=Point(x=model_point[0], y=model_point[1])), frame)
    expected = result.points[0].global_.rounded()
    assert expected == (round(model_point[0] * 1.28), min(719, round(model_point[1] * 0.72)))
    events = probe.wait_for(lambda ev: presses(ev, 1), since=mark)
    assert [(e["x"], e["y"]) for e in presses(events, 1)] == [expected]


def test_right_middle_and_double_click(driver, probe):
    frame = driver.observe().frame
    mark = probe.mark()
    driver.act(RightClick(start_box=Point(x=300, y=600)), frame)
    driver.act(MiddleClick(start_box=Point(x=310, y=600)), frame)
    driver.act(LeftDoubleClick(start_box=Point(x=320, y=600)), frame)
    events = probe.wait_for(lambda ev: len(presses(ev)) >= 4, since=mark)
    assert [e["button"] for e in presses(events)] == [3, 2, 1, 1]
    assert {(e["x"], e["y"]) for e in presses(events, 1)} == {(410, 432)}


def test_hover_moves_without_clicking(driver, probe, desk):
    frame = driver.observe().frame
    mark = probe.mark()
    driver.act(Hover(start_box=Point(x=250, y=750)), frame)
    assert pointer(desk[0]) == (320, 540)
    assert presses(probe.events(mark)) == []


def test_grounding_on_a_downscaled_screenshot(desk, probe):
    """Find the red square in a half-size screenshot, click it, hit it."""
    sandbox, _ = desk
    with DesktopDriver(display=sandbox.display, screenshot_scale=0.5) as drv:
        obs = drv.observe()
        assert obs.image.size == (640, 360)
        left, top, right, bottom = red_box(obs.image)
        centre = obs.frame.to_model((left + right) / 2, (top + bottom) / 2)
        mark = probe.mark()
        drv.act(LeftClick(start_box=Point(x=centre.x, y=centre.y)), obs.frame)
    (press,) = presses(probe.wait_for(lambda ev: presses(ev), since=mark))
    assert abs(press["x"] - TARGET[0]) <= 20 and abs(press["y"] - TARGET[1]) <= 20


def test_region_with_offset_maps_back_to_the_screen(desk, probe):
    sandbox, _ = desk
    with DesktopDriver(display=sandbox.display, region=(600, 300, 480, 320),
                       backend="xdotool") as drv:
        obs = drv.observe()
        assert obs.frame.origin.x == 600 and obs.frame.origin.y == 300
        assert obs.image.size == (480, 320)
        left, top, right, bottom = red_box(obs.image)
        assert (left + right) / 2 == pytest.approx(TARGET[0] - 600, abs=1)
        centre = obs.frame.to_model((left + right) / 2, (top + bottom) / 2)
        mark = probe.mark()
        drv.act(LeftClick(start_box=Point(x=centre.x, y=centre.y)), obs.frame)
        drv.act(LeftClick(start_box=Point(x=0, y=0)), obs.frame)
    clicks = presses(probe.wait_for(lambda ev: len(presses(ev)) >= 2, since=mark))
    assert abs(clicks[0]["x"] - TARGET[0]) <= 20 and abs(clicks[0]["y"] - TARGET[1]) <= 20
    assert (clicks[1]["x"], clicks[1]["y"]) == (600, 300)


@pytest.mark.parametrize(
    "text",
    [
        "Hello, World! <a href='x'> {b} [c] ~ ^ | \\ ` @ # $ % & * ( ) _ + = - ; : \" ?",
        "Café Müller €5 日本",
        "line one\nligne deux: naïve façade\tтекст",
    ],
    ids=["ascii", "unicode", "multiline"],
)
@pytest.mark.parametrize("type_mode", ["paste", "keys"])
def test_type_delivers_text_intact(driver, probe, text, type_mode):
    driver.type_mode = type_mode
    frame = driver.observe().frame
    driver.act(Key(keys="escape"), frame)  # the probe clears its text box
    probe.wait_for(lambda ev: probe.text() == "", timeout=3)
    driver.act(Type(content=text), frame)
    probe.wait_for(lambda ev: probe.text() == text, timeout=5)
    assert probe.text() == text


@pytest.mark.parametrize("type_mode", ["paste", "keys"])
def test_consecutive_types_keep_their_order(driver, probe, type_mode):
    driver.type_mode = type_mode
    frame = driver.observe().frame
    driver.act(Key(keys="escape"), frame)
    probe.wait_for(lambda ev: probe.text() == "", timeout=3)
    for part in ["Ä1 ", "Ö2 ", "plain ", "Ü3"]:
        driver.act(Type(content=part), frame)
    probe.wait_for(lambda ev: probe.text() == "Ä1 Ö2 plain Ü3", timeout=5)
    assert probe.text() == "Ä1 Ö2 plain Ü3"


@pytest.mark.parametrize(
    ("combo", "keysym", "state"),
    [("ctrl+shift+t", "T", 5), ("pagedown", "Next", 0), ("enter", "Return", 0),
     ("ctrl+c", "c", 4), ("alt+x", "x", 8), ("shift+tab", "ISO_Left_Tab", 1), ("f5", "F5", 0)],
)
def test_key_combos(driver, probe, combo, keysym, state):
    frame = driver.observe().frame
    mark = probe.mark()
    driver.act(Key(keys=combo), frame)
    events = probe.wait_for(
        lambda ev: any(e["event"] == "key" and e["keysym"] == keysym for e in ev), since=mark,
    )
    (event,) = [e for e in events if e["event"] == "key" and e["keysym"] == keysym]
    assert event["state"] & 0x0D == state  # shift 1, control 4, alt 8


@pytest.mark.parametrize(("direction", "button"), [("down", 5), ("up", 4)])
def test_scroll_sends_wheel_clicks_at_the_point(driver, probe, direction, button):
    frame = driver.observe().frame
    mark = probe.mark()
    driver.act(Scroll(start_box=Point(x=700, y=700), direction=direction, step=3), frame)
    events = probe.wait_for(lambda ev: len(presses(ev, button)) >= 3, since=mark)
    wheel = presses(events, button)
    assert len(wheel) == 3 and {(e["x"], e["y"]) for e in wheel} == {(896, 504)}


def test_drag_presses_moves_and_releases(driver, probe):
    frame = driver.observe().frame
    mark = probe.mark()
    driver.act(LeftDrag(start_box=Point(x=100, y=300), end_box=Point(x=300, y=600)), frame)
    events = probe.wait_for(
        lambda ev: any(e["event"] == "release" for e in ev), since=mark,
    )
    press = presses(events, 1)[0]
    release = [e for e in events if e["event"] == "release"][-1]
    motions = [e for e in events if e["event"] == "motion"]
    assert (press["x"], press["y"]) == (128, 216)
    assert (release["x"], release["y"]) == (384, 432)
    assert len(motions) >= 5


def test_off_screen_points_are_refused(driver):
    frame = driver.observe().frame
    with pytest.raises(OffScreenError):
        driver.act(LeftClick(start_box=Point(x=1001, y=10)), frame)


def test_describe_and_bad_settings(desk):
    sandbox, _ = desk
    with DesktopDriver(display=sandbox.display, backend="xdotool") as drv:
        info = drv.describe()
    assert info["name"] == "desktop" and info["backend"] == "xdotool"
    assert info["type_mode"] == "paste"
    assert info["area"] == {"left": 0, "top": 0, "width": 1280, "height": 720}
    with pytest.raises(ConfigError, match="available"):
        DesktopDriver(display=sandbox.display, monitor=7).start()
    with pytest.raises(ConfigError, match="outside"):
        DesktopDriver(display=sandbox.display, region=(1000, 0, 400, 100)).start()
    with pytest.raises(ConfigError):
        DesktopDriver(backend="robot")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        DesktopDriver(type_mode="morse")  # type: ignore[arg-type]


def test_no_display_is_a_config_error(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(ConfigError, match="sandbox desktop"):
        DesktopDriver().start()


@pytest.mark.skipif(
    shutil.which("xrandr") is None and os.environ.get("GUIAGENT_REQUIRE_ALL") != "1",
    reason="xrandr (apt-get install x11-xserver-utils) splits the screen into monitors",
)
def test_second_monitor_offsets():
    with DesktopSandbox(size="1280x480", monitors=["640x480+0+0", "640x480+640+0"]) as sandbox:
        for backend in BACKENDS:
            with DesktopDriver(display=sandbox.display, monitor=2, backend=backend) as drv:
                obs = drv.observe()
                assert (obs.frame.origin.x, obs.frame.origin.y) == (640, 0)
                assert obs.image.size == (640, 480)
                drv.act(Hover(start_box=Point(x=500, y=500)), obs.frame)
                assert pointer(sandbox) == (960, 240)


def test_nothing_outlives_the_sandbox_after_pasting(tmp_path):
    """xclip forks a selection owner; it must end with the display."""
    with DesktopSandbox(size="800x600") as sandbox:
        probe = launch_probe(sandbox, tmp_path / "events.jsonl")
        for backend in BACKENDS:
            with DesktopDriver(display=sandbox.display, backend=backend, clipboard="xclip") as drv:
                drv.act(Type(content=f"Grüße {backend} "), drv.observe().frame)
        probe.wait_for(lambda ev: probe.text() == "Grüße pyautogui Grüße xdotool ")
        assert probe.text() == "Grüße pyautogui Grüße xdotool "
        display = sandbox.display
    deadline = time.monotonic() + 5
    while display_processes(display) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert display_processes(display) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_honours_the_driver_contract(desk, backend):
    sandbox, _ = desk
    check_driver(DesktopDriver(display=sandbox.display, backend=backend))
