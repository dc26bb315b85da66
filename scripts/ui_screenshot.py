"""Take docs/img/ui-live.png and docs/img/ui-home.png: the live UI during a real run.

The run is the agent demo's (the sandbox contact form, the scripted GLM-format
stand-in answering with a delay), started from the UI's own form in headless
Chromium and paused after a few steps, so the picture shows a screenshot with its
marks, the thinking, the step list and the controls.

    .venv/bin/python scripts/ui_screenshot.py [--out docs/img]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import expect

from guiagent.drivers.browser import acquire_playwright, launch_chromium, release_playwright
from guiagent.sandboxes.web import WebSandbox
from guiagent.testing import GlmModelServer, plan_answers
from guiagent.testing.contact import CONTACT_PLAN, CONTACT_TASK
from guiagent.testing.model_server import Reply
from guiagent.ui import UiServer

PAUSE_AT_STEP = 4


def main() -> None:
    """Run the demo task from the UI, pause it, and photograph the page."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with WebSandbox() as scratch:
        answers = plan_answers(scratch.url + "/contact", CONTACT_PLAN)
    slow = [Reply(answer, delay=0.6) for answer in answers]
    with tempfile.TemporaryDirectory() as runs, WebSandbox() as sandbox, \
            GlmModelServer(slow) as model, UiServer(Path(runs)) as server:
        playwright = acquire_playwright()
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(server.url)
            page.fill("textarea[name=task]", CONTACT_TASK)
            page.fill("input[name=url]", sandbox.url + "/contact")
            page.fill("input[name=model_url]", model.base_url)
            page.click("#start")
            page.wait_for_selector(f"#step-{PAUSE_AT_STEP}")
            page.click("#pause")
            expect(page.locator("#state")).to_have_text("paused", timeout=120_000)
            page.locator("#shot").evaluate("img => img.decode()")
            page.screenshot(path=str(out / "ui-live.png"))
            page.click("#resume")
            page.wait_for_selector("#finished:not([hidden])")
            page.goto(server.url)
            page.wait_for_selector("#past-runs tbody tr")
            page.screenshot(path=str(out / "ui-home.png"))
        finally:
            browser.close()
            release_playwright()
    print(f"wrote {out / 'ui-live.png'} and {out / 'ui-home.png'}")


if __name__ == "__main__":
    main()
