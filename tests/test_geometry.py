"""Model space -> screenshot -> surface -> device, under resizes, scale factors and offsets."""

import pytest

from guiagent.actions import LeftClick, Point
from guiagent.errors import OffScreenError
from guiagent.geometry import XY, ScreenFrame, Size


def frame(shot, surface, dpr=1.0, origin=(0, 0)):
    return ScreenFrame(screenshot=Size.parse(shot), surface=Size.parse(surface),
                       device_scale_factor=dpr, origin=XY(x=origin[0], y=origin[1]))


def test_identity_frame():
    p = frame("1280x720", "1280x720").resolve(500, 250)
    assert (p.screenshot.x, p.screenshot.y) == (640, 180)
    assert (p.surface.x, p.surface.y) == (640, 180)
    assert (p.device.x, p.device.y) == (640, 180)


def test_resized_screenshot_maps_to_full_surface():
    # The model saw a 640x360 copy of a 1280x720 page: it still clicks the same place.
    p = frame("640x360", "1280x720").resolve(250, 500)
    assert (p.screenshot.x, p.screenshot.y) == (160, 180)
    assert (p.surface.x, p.surface.y) == (320, 360)


def test_device_scale_factor_two():
    # Device-pixel screenshot (2560x1440) of a 1280x720 CSS viewport.
    p = frame("2560x1440", "1280x720", dpr=2).resolve(100, 100)
    assert (p.screenshot.x, p.screenshot.y) == (256, 144)
    assert (p.surface.x, p.surface.y) == (128, 72)
    assert (p.device.x, p.device.y) == (256, 144)


def test_monitor_offset():
    p = frame("1920x1080", "1920x1080", origin=(1280, 0)).resolve(0, 0)
    assert (p.surface.x, p.global_.x) == (0, 1280)


def test_far_edge_stays_on_screen():
    p = frame("1280x720", "1280x720").resolve(1000, 1000)
    assert (p.surface.x, p.surface.y) == (1279, 719)


@pytest.mark.parametrize("x,y", [(-1, 10), (10, -0.5), (1001, 10), (10, 2000)])
def test_off_screen_refused(x, y):
    with pytest.raises(OffScreenError, match="outside the screenshot"):
        frame("1280x720", "1280x720").resolve(x, y)


def test_round_trip_through_model_space():
    f = frame("1280x720", "1280x720")
    m = f.surface_to_model(320, 540)
    assert (m.x, m.y) == (250, 750)
    assert f.resolve(m.x, m.y).surface.rounded() == (320, 540)


def test_action_json_round_trip():
    from guiagent.actions import action_from_json
    a = LeftClick(start_box=Point(x=1.5, y=2), element_info="OK")
    assert action_from_json(a.model_dump_json()) == a
    assert a.to_call() == "left_click(start_box='[1.5,2]', element_info='OK')"
