"""The HTML report in real headless Chromium: every step, marks on the recorded pixels, offline."""

import shutil
import subprocess
import sys

import pytest
from contact_plan import CONTACT_PLAN, CONTACT_TASK
from PIL import Image
from playwright.sync_api import sync_playwright
from test_view_logs import synthetic_run

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.drivers.browser import launch_chromium
from guiagent.runlog import read_run
from guiagent.testing import GlmModelServer, plan_answers

pytestmark = pytest.mark.browser

# Centre of a mark in the pixels of the screenshot under it, whatever size the page shows it at.
MARK_CENTRES = """(sel) => Array.from(document.querySelectorAll('section.step')).map((s) => {
  const img = s.querySelector('figure.shot img').getBoundingClientRect();
  const w = +s.querySelector('figure.shot').dataset.width;
  return Array.from(s.querySelectorAll(sel)).map((m) => {
    const r = m.getBoundingClientRect();
    return [(r.left + r.width / 2 - img.left) * w / img.width,
            (r.top + r.height / 2 - img.top) * w / img.width];
  });
})"""


@pytest.fixture(scope="module")
def contact_run(web_sandbox, tmp_path_factory):
    url = web_sandbox.url + "/contact"
    answers = plan_answers(url, CONTACT_PLAN)
    web_sandbox.reset()
    with GlmModelServer(answers) as server:
        driver = PlaywrightDriver(url)
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path_factory.mktemp("rec") / "run"))
        with driver:
            result = agent.run(CONTACT_TASK)
    assert result.outcome == "done", result.error
    return result.run_dir


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


class OfflinePage:
    """A page that may load only file: and data: URLs, and remembers errors."""

    def __init__(self, browser, path):
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.errors, self.external = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.route("**/*", self._route)
        self.page.goto(path.resolve().as_uri())

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()


def view(run_dir):
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "view", str(run_dir)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return run_dir / "report.html"


def test_report_shows_every_step_with_marks_on_the_recorded_pixels(contact_run, browser, tmp_path):
    record, steps = read_run(contact_run)
    # Only report.html is copied: the page must carry its screenshots itself.
    copy = tmp_path / "elsewhere" / "report.html"
    copy.parent.mkdir()
    shutil.copy(view(contact_run), copy)
    view_ = OfflinePage(browser, copy)
    page = view_.page
    assert page.locator("header.run h1").inner_text() == CONTACT_TASK
    assert page.locator("#outcome").inner_text() == "done"
    assert page.locator("#step-count").inner_text() == str(len(steps))
    sections = page.locator("section.step")
    assert sections.count() == len(steps) == 14
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth "
                         "=== 1280)")
    centres = page.evaluate(MARK_CENTRES, "g.mark circle.mark-point")
    for step, marks, i in zip(steps, centres, range(len(steps)), strict=True):
        assert step.call in sections.nth(i).locator("h2 code").inner_text()
        assert len(marks) == len(step.executed)
        for (x, y), point in zip(marks, step.executed, strict=True):
            assert abs(x - point.screenshot.x) < 1.5 and abs(y - point.screenshot.y) < 1.5
        if step.action.action == "type":
            label = sections.nth(i).locator(".label[data-kind=type]").inner_text()
            assert step.action.content in label
    assert sum(len(m) for m in centres) == sum(len(s.executed) for s in steps) > 0
    assert view_.errors == [] and view_.external == []


def test_drag_and_scroll_marks_on_a_scaled_screenshot(browser, tmp_path):
    run = synthetic_run(tmp_path / "run")  # screenshots 960x540 of a 1280x720 surface
    _record, steps = read_run(run)
    view_ = OfflinePage(browser, view(run))
    starts = view_.page.evaluate(MARK_CENTRES, "g.mark circle.mark-point")
    ends = view_.page.evaluate(MARK_CENTRES, "g.mark circle.mark-end")
    click, drag, scroll = steps[0], steps[1], steps[2]
    for marks, point in ((starts[0], click.executed[0]), (starts[1], drag.executed[0]),
                         (ends[1], drag.executed[1]), (starts[2], scroll.executed[0])):
        assert abs(marks[0][0] - point.screenshot.x) < 1.5
        assert abs(marks[0][1] - point.screenshot.y) < 1.5
    assert ends[2][0][1] > starts[2][0][1] + 20  # the scroll arrow points down
    key_label = view_.page.locator("#step-4 .label[data-kind=key]").inner_text()
    assert key_label == "key ctrl+s"
    assert view_.errors == []


def test_keys_move_between_steps(contact_run, browser):
    view_ = OfflinePage(browser, view(contact_run))
    page = view_.page
    current = "document.querySelector('section.step.current')?.id ?? null"
    top = "Math.round(document.querySelector('section.step.current').getBoundingClientRect().top)"
    assert page.evaluate(current) is None
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate(current) == "step-2"
    assert 0 <= page.evaluate(top) <= 10  # scrolled to the top of the window
    page.keyboard.press("k")
    assert page.evaluate(current) == "step-1"
    page.keyboard.press("ArrowDown")
    assert page.evaluate(current) == "step-2"
    page.keyboard.press("End")
    assert page.evaluate(current) == "step-14"
    page.keyboard.press("j")
    assert page.evaluate(current) == "step-14"
    assert view_.errors == []


def test_gif_of_a_real_run_has_one_frame_per_step(contact_run):
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "view", str(contact_run),
                           "--gif"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    _record, steps = read_run(contact_run)
    with Image.open(contact_run / "run.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames == len(steps)
