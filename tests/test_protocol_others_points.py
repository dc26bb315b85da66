"""Click points of ui-tars, qwen25vl, qwen3vl and json: answer -> parse -> convention -> pixels.

Each family's stand-in writes the point for a known target on the image it was
sent; the adapter parses it and its coordinate convention plus the ScreenFrame
must land on the target, at device scale factor 1 and 2 and with --max-pixels.
"""

import pytest

from guiagent.geometry import ScreenFrame, Size
from guiagent.imaging import fit_size
from guiagent.protocols.coordinates import normalise_action
from guiagent.protocols.registry import make_protocol
from guiagent.protocols.ui_tars import COORDINATES as UI_TARS
from guiagent.testing.standins import IntendedAction, standin

FAMILIES = ["ui-tars", "qwen25vl", "qwen3vl", "json"]
CSS = Size(width=1280, height=720)


def frames():
    """(id, frame) the way the browser driver builds them."""
    yield "dsf1", ScreenFrame(screenshot=CSS, surface=CSS)
    # HiDPI: the screenshot has device pixels, clicks go to CSS pixels.
    yield "dsf2", ScreenFrame(screenshot=Size(width=2560, height=1440), surface=CSS,
                              device_scale_factor=2)
    # --max-pixels 230400: the screenshot sent is scaled down to 640x360.
    yield "max-pixels", ScreenFrame(screenshot=fit_size(CSS, 640 * 360), surface=CSS)
    yield "dsf2+max-pixels", ScreenFrame(screenshot=fit_size(Size(width=2560, height=1440),
                                                             1280 * 720),
                                         surface=CSS, device_scale_factor=2)
    yield "1920x1080", ScreenFrame(screenshot=Size(width=1920, height=1080),
                                   surface=Size(width=1920, height=1080))


FRAMES = list(frames())


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(("label", "frame"), FRAMES, ids=[f[0] for f in FRAMES])
@pytest.mark.parametrize("target", [(17, 9), (640, 360), (1191.5, 702), (1279, 719)])
def test_click_lands_on_the_target(family, label, frame, target):
    fx, fy = target[0] / CSS.width, target[1] / CSS.height
    if label == "1920x1080":
        fx, fy = target[0] / 1280, target[1] / 720
    protocol = make_protocol(family)
    text = standin(family).answer(IntendedAction("click", (fx, fy)), frame.screenshot)
    parsed = protocol.parse(text)
    action, raw = normalise_action(parsed.action, protocol.coordinates, frame.screenshot)
    p = frame.resolve(action.start_box.x, action.start_box.y)
    # The answer's integer coordinates cost at most one unit of the family's space.
    unit = {"ui-tars": 1, "qwen25vl": 1}.get(family)
    if unit:  # one pixel of the smart-resized image, at most ~1 screenshot pixel
        resized = protocol.coordinates.resized(frame.screenshot)
        tol_x = frame.surface.width / resized.width
        tol_y = frame.surface.height / resized.height
    else:  # one thousandth of the screen
        tol_x, tol_y = frame.surface.width / 1000, frame.surface.height / 1000
    assert abs(p.surface.x - fx * frame.surface.width) <= tol_x / 2 + 1e-6
    assert abs(p.surface.y - fy * frame.surface.height) <= tol_y / 2 + 1e-6
    assert p.device.x == pytest.approx(p.surface.x * frame.device_scale_factor, abs=0.03)
    assert "start_box" in raw


def test_ui_tars_worked_example_from_the_facts():
    # UI-TARS's coordinate README: (197,525) on a 1920x1080 screen -> (195, 519).
    frame = ScreenFrame(screenshot=Size(width=1920, height=1080),
                        surface=Size(width=1920, height=1080))
    parsed = make_protocol("ui-tars").parse("Thought: t\nAction: click(start_box='(197,525)')")
    action, raw = normalise_action(parsed.action, UI_TARS, frame.screenshot)
    assert (raw["start_box"].x, raw["start_box"].y) == (197, 525)
    p = frame.resolve(action.start_box.x, action.start_box.y)
    assert (int(p.surface.x), int(p.surface.y)) == (195, 519)
    assert p.surface.x == pytest.approx(197 / 1932 * 1920, abs=0.01)


def test_qwen25vl_phone_example_from_the_cookbook():
    # 1080x2400 is seen as 1092x2408; (935, 406) maps back with x * 1080 / 1092.
    shot = Size(width=1080, height=2400)
    protocol = make_protocol("qwen25vl")
    parsed = protocol.parse('<tool_call>\n{"name": "computer_use", "arguments": '
                            '{"action": "left_click", "coordinate": [935, 406]}}\n</tool_call>')
    action, _ = normalise_action(parsed.action, protocol.coordinates, shot)
    p = ScreenFrame(screenshot=shot, surface=shot).resolve(action.start_box.x, action.start_box.y)
    assert p.surface.x == pytest.approx(935 * 1080 / 1092, abs=0.01)
    assert p.surface.y == pytest.approx(406 * 2400 / 2408, abs=0.01)


def test_qwen3vl_is_relative_whatever_the_size():
    protocol = make_protocol("qwen3vl")
    parsed = protocol.parse('<tool_call>\n{"name": "computer_use", "arguments": '
                            '{"action": "left_click", "coordinate": [250, 750]}}\n</tool_call>')
    for shot in (Size(width=1280, height=720), Size(width=2560, height=1440)):
        action, _ = normalise_action(parsed.action, protocol.coordinates, shot)
        p = ScreenFrame(screenshot=shot, surface=CSS).resolve(action.start_box.x,
                                                               action.start_box.y)
        assert (p.surface.x, p.surface.y) == (320, 540)
