"""smart_resize of each family's convention against the worked numbers of the published facts."""

import pytest

from guiagent.geometry import Size
from guiagent.protocols.coordinates import SmartResizedPixels, smart_resize
from guiagent.protocols.qwen25vl import COORDINATES as QWEN25VL
from guiagent.protocols.ui_tars import COORDINATES as UI_TARS


def resized(convention, width, height):
    size = convention.resized(Size(width=width, height=height))
    return size.width, size.height


@pytest.mark.parametrize(("size", "expected"), [
    ((1920, 1080), (1932, 1092)),
    ((1280, 720), (1288, 728)),
    ((2560, 1440), (2548, 1428)),
])
def test_ui_tars_worked_sizes(size, expected):
    assert resized(UI_TARS, *size) == expected


def test_qwen25vl_phone_screenshot_from_the_cookbook():
    assert resized(QWEN25VL, 1080, 2400) == (1092, 2408)


def test_halves_round_to_even_like_python():
    # 42/28 = 1.5 rounds to 2 (56) and 70/28 = 2.5 rounds to 2 as well: halves go to even.
    assert smart_resize(42, 2800, 28, 1, 10**9) == (56, 2800)
    assert smart_resize(70, 70, 28, 1, 10**9) == (56, 56)


def test_max_pixels_shrinks_and_floors():
    # 1920x1080 capped at 1280x720's area: both sides shrink by the same ratio and round down.
    capped = SmartResizedPixels(factor=28, min_pixels=UI_TARS.min_pixels, max_pixels=1280 * 720)
    w, h = resized(capped, 1920, 1080)
    assert (w, h) == (1260, 700)
    assert w % 28 == 0 and h % 28 == 0 and w * h <= 1280 * 720


def test_min_pixels_differ_between_ui_tars_and_qwen25vl():
    assert resized(UI_TARS, 100, 100) == (280, 280)   # under 100 blocks: grown to 78,400 px
    assert resized(QWEN25VL, 100, 100) == (112, 112)  # the processor's own floor is 4 blocks
    assert (UI_TARS.factor, UI_TARS.max_pixels) == (QWEN25VL.factor, QWEN25VL.max_pixels) == \
        (28, 16384 * 28 * 28)


def test_absurd_sizes_are_refused():
    with pytest.raises(ValueError, match="aspect ratio"):
        smart_resize(1, 1000, 28, 1, 10**9)
