"""smart_resize against the worked numbers of the published UI-TARS/Qwen-VL facts."""

import pytest

from guiagent.errors import ConfigError
from guiagent.protocols.smart_resize import QWEN3VL, QWEN25VL, UI_TARS, smart_resize


@pytest.mark.parametrize(("size", "expected"), [
    ((1920, 1080), (1932, 1092)),
    ((1280, 720), (1288, 728)),
    ((2560, 1440), (2548, 1428)),
])
def test_ui_tars_worked_sizes(size, expected):
    assert UI_TARS.size(*size) == expected


def test_qwen25vl_phone_screenshot_from_the_cookbook():
    assert QWEN25VL.size(1080, 2400) == (1092, 2408)


def test_halves_round_to_even_like_python():
    # 42/28 = 1.5 rounds to 2 (56) and 70/28 = 2.5 rounds to 2 as well: halves go to even.
    assert smart_resize(42, 14 * 200, 28, 1, 10**9) == (56, 2800)
    assert smart_resize(70, 70, 28, 1, 10**9) == (56, 56)  # 2.5 -> 2, not 3


def test_max_pixels_shrinks_and_floors():
    # 1920x1080 capped at 1280x720's area: sides shrink by the same ratio and round down.
    w, h = UI_TARS.with_max_pixels(1280 * 720).size(1920, 1080)
    assert (w, h) == (1260, 700)
    assert w % 28 == 0 and h % 28 == 0 and w * h <= 1280 * 720


def test_min_pixels_grows_and_ceils():
    assert UI_TARS.size(100, 100) == (280, 280)      # under 100 blocks: grown to 78,400 px
    assert QWEN25VL.size(100, 100) == (112, 112)     # the processor's own floor is 4 blocks


def test_qwen3vl_factor_is_32():
    w, h = QWEN3VL.size(1280, 720)
    assert (w, h) == (1280, 704)


def test_absurd_sizes_are_config_errors():
    with pytest.raises(ConfigError, match="elongated"):
        smart_resize(1, 1000, 28, 1, 10**9)
    with pytest.raises(ConfigError):
        smart_resize(0, 10, 28, 1, 10**9)
