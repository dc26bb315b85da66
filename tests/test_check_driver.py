import pytest

from guiagent.drivers.check import check_driver
from guiagent.drivers.playwright import PlaywrightDriver


@pytest.mark.browser
@pytest.mark.parametrize("kwargs", [{}, {"device_scale_factor": 2, "screenshot_scale": "device"},
                                    {"image_format": "png", "viewport": "800x600"}])
def test_playwright_driver_honours_the_contract(kwargs):
    check_driver(PlaywrightDriver("data:text/html,<h1>check</h1>", **kwargs))


def test_a_broken_driver_is_caught():
    class LyingDriver(PlaywrightDriver):
        def observe(self):
            obs = super().observe()
            obs.frame = obs.frame.model_copy(update={"screenshot": obs.frame.surface.model_copy(
                update={"width": 10})})
            return obs

    with pytest.raises(AssertionError, match="coordinates would be wrong"):
        check_driver(LyingDriver("data:text/html,x"))
