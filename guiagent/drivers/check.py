"""``check_driver``: does a new driver honour the Driver contract?

Run it against any implementation (``check_driver(MyDriver(...))``); it raises
``AssertionError`` naming the first broken promise. The bundled drivers are
checked by the test suite the same way.
"""

from __future__ import annotations

from ..actions import Hover, LeftClick, Point, Wait
from ..errors import OffScreenError
from .base import ActionResult, Driver, Observation


def check_driver(driver: Driver, *, check_wait: bool = False) -> None:
    """Exercise start/observe/act/close and assert what the agent loop relies on."""
    assert isinstance(driver, Driver), "a driver needs name, start, observe, act, close, describe"
    assert isinstance(driver.describe(), dict) and "name" in driver.describe(), \
        "describe() must return a dict with the driver's name"
    driver.start()
    driver.start()  # idempotent
    try:
        obs = driver.observe()
        assert isinstance(obs, Observation), "observe() must return an Observation"
        image = obs.pil()
        shot = obs.frame.screenshot
        assert image.size == (shot.width, shot.height), (
            f"the screenshot is {image.size} but its frame says {shot}: coordinates would be wrong")
        data, mime = obs.encoded("jpeg")
        assert data and mime == "image/jpeg"
        result = driver.act(Hover(start_box=Point(x=500, y=500)), obs.frame)
        assert isinstance(result, ActionResult), "act() must return an ActionResult"
        assert result.points, "a pointer action must report the points it executed"
        p = result.points[0]
        assert abs(p.surface.x - obs.frame.surface.width / 2) <= 1, \
            "the model point [500,500] must land in the middle of the surface"
        try:
            driver.act(LeftClick(start_box=Point(x=1000.5, y=10)), obs.frame)
        except OffScreenError:
            pass
        else:
            raise AssertionError("an off-screen point must raise OffScreenError, not execute")
        if check_wait:
            assert isinstance(driver.act(Wait(), obs.frame), ActionResult)
    finally:
        driver.close()
        driver.close()  # safe twice
