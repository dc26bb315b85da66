"""After a step that navigates, the next screenshot shows the new page, every time.

A form's submission leaves a task after its submit event, so the page could answer
"settled" before the navigation had begun and the screenshot showed the old page (about
one submit in three here, without the former 50 ms pause). The server answers slowly so a
stale capture cannot pass by luck; the repetitions make a miss show.
"""

import time

import pytest
from flask import Flask, Response

from guiagent.actions import Key, LeftClick, Point
from guiagent.drivers.playwright import PlaywrightDriver
from guiagent.drivers.settle import COMMIT_TIMEOUT_S
from guiagent.geometry import ScreenFrame, Size
from guiagent.serving import ThreadedWsgiServer

pytestmark = pytest.mark.browser

REPEATS = 20
BIG = "position:fixed;left:0;top:0;width:400px;height:200px"
FIELD = "position:fixed;left:0;top:300px;width:400px;height:40px"
FRAME = ScreenFrame(screenshot=Size(width=640, height=480), surface=Size(width=640, height=480))
GREEN = "<!doctype html><title>Posted</title><body style='margin:0;background:#00ff00'><p>thanks"


def form(attrs: str = "action=/posted", extra: str = "") -> str:
    return (f"<!doctype html><title>Form</title><form method=post {attrs}>"
            f"<input name=q id=q style='{FIELD}'><button id=go style='{BIG}'>Go</button></form>{extra}")


PAGES = {
    "/form": form(),
    "/blank": form("action=/posted target=_blank"),
    "/dialog": form(extra= "<dialog open><form method=dialog><button style='position:fixed;left:0;"
                        "top:400px;width:400px;height:100px'>Close</button></form></dialog>"),
    "/empty": form("action=/empty"),
    # the submit handler takes over: no navigation, a request instead
    "/fetch": form(extra="<p id=out>waiting</p><script>document.forms[0].addEventListener('submit', "
                       "e => { e.preventDefault(); fetch('/slow').then(r => r.text())"
                       ".then(t => { out.textContent = t; }); });</script>"),
    # a click handler submits without a submit event
    "/script": f"<!doctype html><title>Form</title><form method=post action=/posted></form>"
               f"<div id=go style='{BIG}' onclick='document.forms[0].submit()'>Go</div>",
    "/link": f"<!doctype html><title>Links</title><a href=/posted-get style='{BIG};display:block'>Go</a>",
    # an SVG link the page handles itself: its work is waited for like any other
    "/svg-fetch": "<!doctype html><title>Form</title><p id=out>waiting</p><svg width=400 height=200 "
                  "style='position:fixed;left:0;top:0'><a href=/posted-get id=a><rect width=400 height=200 "
                  "/></a></svg><script>a.addEventListener('click', e => { e.preventDefault(); "
                  "fetch('/slow').then(r => r.text()).then(t => { out.textContent = t; }); });</script>",
    # a link to a new tab whose click the page cancels (and handles itself)
    "/blank-cancelled": f"<!doctype html><title>Form</title><p id=out>waiting</p><a id=a href=/posted "
                        f"target=_blank style='{BIG};display:block'>Go</a><script>a.addEventListener("
                        f"'click', e => {{ e.preventDefault(); out.textContent = 'handled'; }});</script>",
    "/svg-link": "<!doctype html><title>Links</title><svg width=400 height=200 style='position:fixed;"
                 "left:0;top:0'><a href=/posted-get><rect width=400 height=200 fill=red /></a></svg>",
}


@pytest.fixture(scope="module")
def site():
    app = Flask("settle-navigation")

    @app.route("/posted", methods=["POST"])
    def posted():
        time.sleep(0.1)
        return GREEN

    @app.get("/posted-get")
    def posted_get():
        time.sleep(0.1)
        return GREEN

    @app.route("/empty", methods=["POST"])
    def empty():
        time.sleep(0.05)
        return Response(status=204)

    @app.get("/slow")
    def slow():
        time.sleep(0.3)
        return "loaded"

    for path, html in PAGES.items():
        app.add_url_rule(path, path, lambda html=html: html)
    server = ThreadedWsgiServer(app, "127.0.0.1", 0, name="settle-navigation").start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.fixture
def driver(site, shared_browser):
    with PlaywrightDriver(site + "/form", viewport="640x480", browser=shared_browser.get()) as d:
        yield d


def shows_the_next_page(driver) -> None:
    shot = driver.observe()
    assert shot.title == "Posted", driver.last_settle
    assert "/posted" in shot.url
    assert shot.pil().convert("RGB").getpixel((600, 440))[1] > 200, "the screenshot is the old page"


def click(driver, x=100, y=100):
    driver.act(LeftClick(start_box=Point(x=x / 640 * 1000, y=y / 480 * 1000)), FRAME)


def test_a_click_on_submit_always_shows_the_posted_page(site, driver):
    for _ in range(REPEATS):
        driver.page.goto(site + "/form")
        click(driver)
        shows_the_next_page(driver)


def test_enter_in_a_field_always_shows_the_posted_page(site, driver):
    for _ in range(REPEATS):
        driver.page.goto(site + "/form")
        click(driver, y=320)
        driver.act(Key(keys="enter"), FRAME)
        shows_the_next_page(driver)


def test_form_submit_from_a_click_handler_and_links_show_the_next_page(site, driver):
    for path in ("/script", "/link", "/svg-link") * 4:
        driver.page.goto(site + path)
        click(driver)
        assert driver.last_settle["why"] in ("navigating", "gone"), (path, driver.last_settle)
        shows_the_next_page(driver)


def test_a_submit_handler_that_fetches_instead_is_waited_for_and_not_taken_for_a_navigation(site, driver):
    driver.page.goto(site + "/fetch")
    click(driver)
    assert driver.page.inner_text("#out") == "loaded"
    assert driver.last_settle["navigating"] is False, driver.last_settle
    assert driver.observe().title == "Form"


def test_a_link_its_page_handles_is_waited_for_and_not_taken_for_a_navigation(site, driver):
    driver.page.goto(site + "/svg-fetch")
    click(driver)
    assert driver.last_settle["why"] == "settled" and not driver.last_settle["navigating"], \
        driver.last_settle
    assert driver.page.inner_text("#out") == "loaded"


def test_a_dialog_form_is_no_navigation(site, driver):
    driver.page.goto(site + "/dialog")
    click(driver, y=440)
    assert driver.last_settle["navigating"] is False, driver.last_settle
    assert driver.page.evaluate("document.querySelector('dialog').open") is False


def test_a_form_answered_with_no_content_does_not_hold_the_step(site, driver):
    driver.page.goto(site + "/empty")
    started = time.monotonic()
    click(driver)
    # the navigation ends with the 204 answer, not when the wait for a commit gives up
    assert time.monotonic() - started < COMMIT_TIMEOUT_S
    assert driver.last_settle["navigating"] is True
    assert driver.observe().title == "Form"
    click(driver, y=320)  # the page is still usable and the next step settles on its own
    assert driver.last_settle["navigating"] is False, driver.last_settle


def test_a_new_tab_link_the_page_cancels_is_not_waited_for_as_a_tab(site, driver):
    driver.page.goto(site + "/blank-cancelled")
    click(driver)
    assert driver.last_settle["opened"] == 0, driver.last_settle
    assert driver.page.inner_text("#out") == "handled"
    assert len(driver.context.pages) == 1


def test_a_form_posted_to_a_new_tab_is_followed(site, driver):
    driver.page.goto(site + "/blank")
    click(driver)
    shows_the_next_page(driver)
    assert len(driver.context.pages) == 2
