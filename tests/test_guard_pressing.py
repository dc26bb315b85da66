"""What counts as pressing a guarded control: accessible names, iframes, Enter/Space in any form.

One real page (with a cross-origin iframe on ``localhost``) in one browser; each
action goes through the guard (unattended) and, if allowed, through the driver,
exactly as the agent does. The page records every press; afterwards only the
harmless actions may have pressed anything.
"""

from __future__ import annotations

import http.server
import threading

import pytest

from guiagent.actions import Key, LeftClick, Point, Type
from guiagent.errors import ActionRefusedError
from guiagent.guard import ActionGuard, GuardPolicy
from guiagent.runlog import StepRecord

PAGE = """<!doctype html><title>Guarded</title><body style="margin:0">
<style>.a {{position:absolute; width:160px; height:40px}}</style>
<script>window.pressed = []; function press(n) {{ window.pressed.push(n); }}
  // A hostile page hides its buttons from scripts that look in its own JavaScript world.
  Document.prototype.elementFromPoint = function () {{ return document.body; }};
  Object.defineProperty(Document.prototype, "activeElement", {{get() {{ return document.body; }}}});
  Element.prototype.getAttribute = function () {{ return null; }};
</script>
<form id="order" onsubmit="event.preventDefault(); press('submitted')">
  <input id="note" class="a" aria-label="Order note" style="left:20px;top:20px">
  <button id="buy" class="a" onclick="press('buy')" style="left:260px;top:20px">Buy now</button>
</form>
<button id="img" class="a" onclick="press('img')" style="left:20px;top:100px">
  <img alt="Delete account" width="20" height="20" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></button>
<span id="lbl" hidden>Transfer funds</span>
<div id="labelled" class="a" role="button" tabindex="0" aria-labelledby="lbl"
     onclick="press('labelled')" style="left:220px;top:100px">Go</div>
<button id="masked" class="a" aria-label="Continue" onclick="press('masked')"
        style="left:420px;top:100px">Pay now</button>
<button id="key" class="a" accesskey="k" onclick="press('accesskey')"
        style="left:620px;top:100px">Purchase</button>
<iframe id="same" srcdoc="<body style='margin:0'><button onclick=parent.press('same-frame')
        style='width:150px;height:50px'>Pay now</button>"
        style="position:absolute;left:20px;top:200px;width:200px;height:100px;border:5px solid #000"></iframe>
<iframe id="cross" src="http://localhost:{port}/pay"
        style="position:absolute;left:260px;top:200px;width:200px;height:100px;border:0"></iframe>
<input id="comment" class="a" aria-label="Comment" style="left:20px;top:350px">
<button id="next" class="a" onclick="press('next')" style="left:400px;top:350px">Next</button>
</body>"""
PAY = """<!doctype html><body style="margin:0"><script>window.pressed = [];</script>
<button onclick="window.pressed.push('cross-frame')" style="width:150px;height:50px">Pay now</button>"""


@pytest.fixture(scope="module")
def page_url():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = (PAY if self.path == "/pay" else PAGE.format(port=server.server_address[1])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def at(x, y):
    """A model point (0-1000) for CSS pixel (x, y) of the 1280x720 viewport."""
    return Point(x=x / 1280 * 1000, y=y / 720 * 1000)


# (what to focus first, the action, must it be refused)
CASES = [
    ("#buy", Type(content="\n"), True),
    ("#buy", Type(content=" "), True),
    ("#buy", Key(keys="shift+enter"), True),
    ("#buy", Key(keys="ctrl+return"), True),
    ("#buy", Key(keys="space"), True),
    ("#note", Type(content="gift wrap\n"), True),  # Enter in a field submits: presses Buy now
    ("#note", Type(content="\t "), True),  # Tab moves to Buy now, Space presses it
    (None, LeftClick(start_box=at(100, 120)), True),  # <button><img alt="Delete account">
    (None, LeftClick(start_box=at(300, 120)), True),  # aria-labelledby "Transfer funds"
    (None, LeftClick(start_box=at(500, 120)), True),  # aria-label "Continue", shows "Pay now"
    (None, Key(keys="alt+k"), True),  # accesskey of "Purchase"
    (None, LeftClick(start_box=at(80, 230)), True),  # same-origin iframe "Pay now"
    (None, LeftClick(start_box=at(320, 225)), True),  # cross-origin iframe "Pay now"
    ("cross-frame", Key(keys="enter"), True),  # focus inside the cross-origin iframe
    ("#comment", LeftClick(start_box=at(100, 370)), False),  # typed text is never read
    ("#comment", Type(content="a b c"), False),  # a space typed into a field presses nothing
    ("#comment", Type(content="next\n"), False),  # no form: Enter submits nothing guarded
    (None, LeftClick(start_box=at(480, 370)), False),  # "Next"
]


@pytest.mark.browser
def test_every_form_of_pressing_a_guarded_control_is_caught(page_url):
    from guiagent.drivers.playwright import PlaywrightDriver

    guard = ActionGuard(GuardPolicy(), confirm=None)  # unattended: refuse
    outcomes, targets = [], []
    with PlaywrightDriver(page_url, settle_ms=0) as driver:
        guard.on_run_start(driver)
        page = driver.page
        cross = next(f for f in page.frames if f.url.endswith("/pay"))
        cross.wait_for_selector("button")
        page.fill("#comment", "delete me 123")  # a value that would match if it were read
        for focus, action, _ in CASES:
            if focus == "cross-frame":
                cross.focus("button")
            elif focus:
                page.focus(focus)
            obs = driver.observe()
            step = StepRecord(index=1, started_at=0.0)
            try:
                guard.before_action(step, action, obs)
            except ActionRefusedError:
                outcomes.append(True)
            else:
                outcomes.append(False)
                driver.act(action, obs.frame)
            targets.append(step.extra.get("guard", {}).get("target", ""))
        pressed = page.evaluate("window.pressed")
        pressed_cross = cross.evaluate("window.pressed")
    expected = [refuse for _, _, refuse in CASES]
    wrong = [(CASES[i][0], CASES[i][1].to_call(), targets[i])
             for i in range(len(CASES)) if outcomes[i] != expected[i]]
    assert wrong == []
    assert pressed == ["next"] and pressed_cross == []
    assert not any("delete me" in t for t in targets)
    assert "Delete account" in targets[7] and "Transfer funds" in targets[8]
    assert "Pay now" in targets[9] and "Buy now" in targets[5]
