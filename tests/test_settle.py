"""The browser waits for the work an action started, and not for a page that never rests."""

import time

import pytest
from flask import Flask

from guiagent.actions import Key, LeftClick, Point, Scroll, Type
from guiagent.drivers.playwright import PlaywrightDriver
from guiagent.serving import ThreadedWsgiServer

pytestmark = pytest.mark.browser

BUTTON = '<button id=go style="position:fixed;left:0;top:0;width:400px;height:200px">Go</button>'
PAGES = {
    # the button's result arrives over the network 0.4 s later
    "/fetch": BUTTON + """<p id=out>waiting</p><script>
go.onclick = () => fetch('/slow').then(r => r.text()).then(t => { out.textContent = t; });
</script>""",
    # ... or from a timer, then from a frame that timer asked for
    "/timer": BUTTON + """<p id=out>waiting</p><script>
go.onclick = () => setTimeout(() => requestAnimationFrame(() => { out.textContent = 'later'; }), 150);
</script>""",
    # a transition the click starts
    "/transition": BUTTON + """<div id=bar style="width:10px;height:10px;background:red;
transition:width 0.3s"></div><script>go.onclick = () => { bar.style.width = '300px'; };</script>""",
    # a page that never rests: a clock, a frame loop, an infinite spinner; the button does nothing
    "/busy": BUTTON + """<p id=clock></p><div id=spin style="width:20px;height:20px;background:blue;
animation:spin 1s linear infinite"></div><style>@keyframes spin{to{transform:rotate(360deg)}}</style>
<script>setInterval(() => { clock.textContent = Date.now(); }, 10);
const loop = () => { spin.style.opacity = String(Math.random()); requestAnimationFrame(loop); };
requestAnimationFrame(loop);</script>""",
    # a form posted to a page that answers slowly
    "/form": """<form method=post action=/posted>""" + BUTTON.replace("<button", "<button type=submit")
             + "</form>",
    "/long": "<body style='height:5000px'><p>top</p></body>",
    "/tall": "<body style='height:40000px'><p>top</p></body>",
    # the same button and form inside an iframe that fills the top of the page
    "/form-spins": """<form method=post action=/spins>""" + BUTTON.replace("<button", "<button type=submit")
                   + "</form>",
    # a page that writes the watcher's counter itself (a string where a count belongs)
    "/fake-count": BUTTON + "<script>go.onclick = () => { window.__guiagentOpened = 'many'; };</script>",
    "/in-frame/fake-count": '<iframe src="/fake-count" style="border:0;width:800px;height:400px"></iframe>',
    "/in-frame/fetch": '<iframe src="/fetch" style="border:0;width:800px;height:400px"></iframe>',
    "/in-frame/form": '<iframe src="/form" style="border:0;width:800px;height:400px"></iframe>',
    "/field": "<body style='height:5000px'><input id=f style='position:fixed;left:0;top:0;width:400px;"
              "height:200px'></body>",
}


@pytest.fixture(scope="module")
def site():
    app = Flask("settle-site")

    @app.get("/slow")
    def slow():
        time.sleep(0.4)
        return "loaded"

    @app.post("/spins")
    def spins():  # a page that keeps its renderer busy for 8 s once loaded
        return ("<title>Spins</title><script>addEventListener('load', () => setTimeout(() => {"
                "const t = Date.now(); while (Date.now() - t < 8000); }, 0));</script>")

    @app.post("/posted")
    def posted():
        time.sleep(0.4)
        return "<title>Posted</title><p id=done>thanks</p>"

    for path, html in PAGES.items():
        app.add_url_rule(path, path, lambda html=html: "<!doctype html>" + html)
    server = ThreadedWsgiServer(app, "127.0.0.1", 0, name="settle-site").start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def click(driver, x=100, y=100):
    frame = driver.observe().frame
    return driver.act(LeftClick(start_box=Point(x=x, y=y)), frame)


def test_waits_for_the_fetch_the_click_started(site):
    with PlaywrightDriver(site + "/fetch") as driver:
        result = click(driver)
        assert driver.page.inner_text("#out") == "loaded"
        assert driver.last_settle["why"] == "settled"
        assert result.page_load == 0  # waited for, but no new document


def test_waits_for_a_timer_and_the_frame_it_asked_for(site):
    with PlaywrightDriver(site + "/timer") as driver:
        click(driver)
        assert driver.page.inner_text("#out") == "later"


def test_waits_for_a_transition_the_click_started(site):
    with PlaywrightDriver(site + "/transition") as driver:
        click(driver)
        assert driver.page.evaluate("document.getAnimations().length") == 0, driver.last_settle
        assert driver.page.evaluate("bar.getBoundingClientRect().width") == 300


def test_a_page_that_never_rests_does_not_hold_the_step(site):
    with PlaywrightDriver(site + "/busy") as driver:
        for _ in range(3):
            click(driver)
            # settled by what the click started (nothing), not cut off at the bound
            assert driver.last_settle["why"] in ("settled", "no input"), driver.last_settle


def test_a_posted_form_shows_the_next_page(site):
    with PlaywrightDriver(site + "/form") as driver:
        result = click(driver)
        assert driver.page.url.endswith("/posted")
        assert driver.page.inner_text("#done") == "thanks"
        assert driver.observe().title == "Posted"
        # the server's 0.4 s is the page's time, told apart from the framework's
        assert 0.4 <= result.page_load < 5, result.page_load


@pytest.mark.parametrize("inner", ["fetch", "form"])
def test_work_started_inside_an_iframe_is_waited_for(site, inner):
    with PlaywrightDriver(site + "/in-frame/" + inner) as driver:
        result = click(driver)
        frame = driver.page.frames[1]
        if inner == "fetch":
            assert frame.inner_text("#out") == "loaded"
            assert result.page_load == 0
        else:  # the frame's new document is shown, and its load is the page's time
            assert frame.url.endswith("/posted") and frame.inner_text("#done") == "thanks"
            assert 0.4 <= result.page_load < 5, result.page_load


def test_a_page_that_spins_once_loaded_does_not_hold_the_step(site):
    # asking the new page how long it took to load waits 1 s at most
    with PlaywrightDriver(site + "/form-spins") as driver:
        result = click(driver)
        assert driver.page.url.endswith("/spins")
        assert result.page_load == 0  # the page could not say; nothing waited for it


@pytest.mark.parametrize("path", ["/fake-count", "/in-frame/fake-count"])
def test_a_page_that_fakes_the_watchers_counts_is_not_believed(site, path):
    with PlaywrightDriver(site + path) as driver:
        click(driver)
        assert driver.last_settle["opened"] == 0, driver.last_settle
        assert driver.last_settle["why"] == "settled", driver.last_settle
        assert len(driver.context.pages) == 1


def test_a_scroll_has_happened_when_the_action_returns(site):
    with PlaywrightDriver(site + "/long") as driver:
        frame = driver.observe().frame
        for direction, expected in (("down", 300), ("up", 200), ("up", 100)):
            step = 3 if direction == "down" else 1
            driver.act(Scroll(start_box=Point(x=500, y=500), direction=direction, step=step), frame)
            assert driver.page.evaluate("scrollY") == expected


def test_capture_comes_from_chromium_with_the_title(site):
    from guiagent.drivers.capture import ScreenCapture
    from guiagent.imaging import decode_image

    with PlaywrightDriver(site + "/form", viewport="800x600") as driver:
        screens = ScreenCapture()
        # not the fallback to Playwright's screenshot (a fresh browser's first capture can
        # outlast CDP's 3 s under CI load, and the next one then comes through CDP)
        captured = next((c for c in (screens.capture(driver.page, "jpeg", 80) for _ in range(3))
                         if c is not None), None)
        assert captured is not None
        data, title = captured
        assert decode_image(data).size == (800, 600) and data[:2] == b"\xff\xd8"
        assert title == driver.page.title()


def test_keys_that_scroll_the_page_are_waited_for(site):
    for key in ("space", "down"):
        with PlaywrightDriver(site + "/long") as driver:
            driver.act(Key(keys=key), driver.observe().frame)
            assert driver.page.evaluate("scrollY") > 0, key


def test_scrolling_keys_pressed_one_after_another_all_scroll(site):
    # Chromium drops a keyboard scroll pressed before the previous one's scrollend, a frame or
    # two after its last scroll event (half of these rounds lost a key before the settle
    # waited for it): each key must move the page.
    with PlaywrightDriver(site + "/tall") as driver:
        frame = driver.observe().frame
        for _ in range(6):
            for key in ("pagedown", "pagedown", "down", "space", "up"):
                before = driver.page.evaluate("scrollY")
                driver.act(Key(keys=key), frame)
                assert driver.page.evaluate("scrollY") != before, (key, before)


def test_spaces_and_arrows_typed_in_a_field_do_not_wait_for_a_scroll(site):
    with PlaywrightDriver(site + "/field") as driver:
        click(driver)
        frame = driver.observe().frame
        driver.act(Type(content="Ada Lovelace of London"), frame)
        # answered at the first look: no frames waited for a scroll that a field never does
        assert driver.last_settle["frames"] == 1, driver.last_settle
        driver.act(Key(keys="left"), frame)
        assert driver.last_settle["frames"] == 1, driver.last_settle
        assert driver.page.input_value("#f") == "Ada Lovelace of London"
        assert driver.page.evaluate("scrollY") == 0
