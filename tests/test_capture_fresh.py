"""Chromium's own capture (CDP Page.captureScreenshot) shows what the action did, every time.

Each click changes the page's colour: at once in the handler, from a frame callback, after a
request, or by loading the next page. The capture taken right after the step settled must
show the new colour; the repetitions make a stale frame show.
"""

import time

import pytest
from flask import Flask

from guiagent.actions import LeftClick, Point
from guiagent.drivers.capture import ScreenCapture
from guiagent.drivers.playwright import PlaywrightDriver
from guiagent.geometry import ScreenFrame, Size
from guiagent.imaging import decode_image

pytestmark = pytest.mark.browser

REPEATS = 12
FRAME = ScreenFrame(screenshot=Size(width=640, height=480), surface=Size(width=640, height=480))
COLOURS = ["#ff0000", "#0000ff", "#00ff00", "#ffff00"]
SWITCH = {
    "sync": "paint(next)",
    "frame": "requestAnimationFrame(() => paint(next))",
    "fetch": "fetch('/slow').then(() => paint(next))",
}
PAGE = """<!doctype html><body style='margin:0;background:{colour}'>
<button id=go style='position:fixed;left:0;top:0;width:400px;height:200px'>Go</button>
<script>
const colours = {colours};
let at = 0;
const paint = (c) => {{ document.body.style.background = c; }};
go.onclick = () => {{ at = (at + 1) % colours.length; const next = colours[at]; {switch}; }};
</script>"""


@pytest.fixture(scope="module")
def site():
    from guiagent.serving import ThreadedWsgiServer

    app = Flask("capture-fresh")

    @app.get("/slow")
    def slow():
        time.sleep(0.05)
        return "ok"

    @app.get("/next/<int:at>")
    def next_page(at):
        time.sleep(0.05)
        colour = COLOURS[at % len(COLOURS)]
        return (f"<!doctype html><body style='margin:0;background:{colour}'>"
                f"<a href=/next/{at + 1} style='position:fixed;left:0;top:0;width:400px;"
                f"height:200px;display:block'>next</a>")

    for name, switch in SWITCH.items():
        html = PAGE.format(colour=COLOURS[0], colours=COLOURS, switch=switch)
        app.add_url_rule(f"/{name}", name, lambda html=html: html)
    server = ThreadedWsgiServer(app, "127.0.0.1", 0, name="capture-fresh").start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def colour_at(data: bytes) -> str:
    r, g, b = decode_image(data).convert("RGB").getpixel((600, 440))
    return "#" + "".join("ff" if v > 200 else "00" if v < 55 else "??" for v in (r, g, b))


@pytest.mark.parametrize("how", [*SWITCH, "navigation"])
def test_the_capture_after_a_step_shows_its_change(site, shared_browser, how):
    path = "/next/0" if how == "navigation" else f"/{how}"
    with PlaywrightDriver(site + path, viewport="640x480", browser=shared_browser.get()) as driver:
        screens = ScreenCapture()
        for i in range(1, REPEATS + 1):
            driver.act(LeftClick(start_box=Point(x=100, y=100)), FRAME)
            captured = screens.capture(driver.page, "jpeg", 80)
            assert captured is not None, "CDP capture failed (not a stale frame: no frame)"
            assert colour_at(captured[0]) == COLOURS[i % len(COLOURS)], (i, driver.last_settle)
