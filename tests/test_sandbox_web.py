"""Web sandbox: real Chromium fills the forms, results are read back from SQLite and JSON."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import interruptible
from typer.testing import CliRunner

from guiagent.cli.sandbox_web import _standalone
from guiagent.sandboxes.web import WebSandbox

CHROMIUM = os.environ.get("GUIAGENT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp)


def _post(url: str) -> Any:
    req = urllib.request.Request(url, data=b"{}", method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[WebSandbox]:
    with WebSandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any, sandbox: WebSandbox) -> Iterator[Any]:
    sandbox.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


@pytest.mark.browser
def test_contact_form_round_trip(page: Any, sandbox: WebSandbox) -> None:
    page.goto(sandbox.url + "/contact")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Message").fill("Please call me about the engine.\nThanks!")
    page.get_by_label("Topic").select_option("Billing")
    page.get_by_label("Subscribe to newsletter").check()
    page.get_by_label("I accept the terms").check()
    page.get_by_label("Phone").check()
    page.get_by_label("Preferred date").fill("2025-03-14")
    page.get_by_role("button", name="Send message").click()
    page.get_by_text("Thank you, Ada Lovelace! Your message was received.").wait_for()

    expected = {
        "full_name": "Ada Lovelace",
        "email": "ada@example.org",
        "message": "Please call me about the engine.\nThanks!",
        "topic": "Billing",
        "preferred_contact": "Phone",
        "preferred_date": "2025-03-14",
        "newsletter": True,
        "terms": True,
    }
    rows = sandbox.submissions("contact")
    assert len(rows) == 1
    assert rows[0]["form"] == "contact"
    assert rows[0]["data"] == expected
    assert rows[0]["created_at"].endswith("+00:00")
    assert _get_json(sandbox.url + "/api/submissions?form=contact") == rows
    assert _get_json(sandbox.url + "/api/submissions?form=login") == []


@pytest.mark.browser
def test_unchecked_boxes_are_false(page: Any, sandbox: WebSandbox) -> None:
    page.goto(sandbox.url + "/contact")
    page.get_by_label("Full name").fill("Bob")
    page.get_by_label("Email address").fill("bob@example.org")
    page.get_by_label("Message").fill("Hi")
    page.get_by_label("I accept the terms").check()
    page.get_by_role("button", name="Send message").click()
    page.get_by_text("Thank you, Bob!").wait_for()
    data = sandbox.submissions("contact")[0]["data"]
    assert data["newsletter"] is False
    assert data["terms"] is True
    assert data["topic"] == data["preferred_contact"] == data["preferred_date"] == ""


@pytest.mark.browser
def test_contact_page_fits_viewport(page: Any, sandbox: WebSandbox) -> None:
    page.goto(sandbox.url + "/contact")
    assert page.evaluate("document.documentElement.scrollHeight") <= 720
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    box = page.get_by_role("button", name="Send message").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 720
    for field_id in ("full_name", "email", "message", "topic", "newsletter", "terms",
                     "contact_email", "contact_phone", "preferred_date"):
        assert page.locator(f"label[for={field_id}]").is_visible()


@pytest.mark.browser
def test_login_success(page: Any, sandbox: WebSandbox) -> None:
    page.goto(sandbox.url + "/login")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("demo123")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Welcome, demo").wait_for()
    assert page.url == sandbox.url + "/welcome"
    rows = sandbox.submissions("login")
    assert [r["data"] for r in rows] == [{"username": "demo", "success": True}]


@pytest.mark.browser
def test_login_failure(page: Any, sandbox: WebSandbox) -> None:
    page.goto(sandbox.url + "/login")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    error = page.get_by_role("alert")
    error.wait_for()
    assert error.inner_text() == "Invalid username or password"
    assert page.get_by_label("Username").input_value() == "demo"
    assert page.get_by_label("Password").input_value() == ""
    rows = sandbox.submissions("login")
    assert [r["data"] for r in rows] == [{"username": "demo", "success": False}]
    page.goto(sandbox.url + "/welcome")  # not signed in: bounced back to the login page
    assert page.url == sandbox.url + "/login"


@pytest.mark.browser
def test_signup_two_steps(page: Any, sandbox: WebSandbox) -> None:
    page.goto(sandbox.url + "/signup")
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Step 2 of 2").wait_for()
    assert sandbox.submissions("signup") == []  # nothing stored until the final step
    page.get_by_label("Pro").check()
    page.get_by_label("Address").fill("1 Navy Way\nArlington, VA")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Account created").wait_for()
    rows = sandbox.submissions("signup")
    assert [r["data"] for r in rows] == [{
        "name": "Grace Hopper",
        "email": "grace@example.org",
        "plan": "Pro",
        "address": "1 Navy Way\nArlington, VA",
    }]


@pytest.mark.browser
def test_index_links_to_all_forms(page: Any, sandbox: WebSandbox) -> None:
    page.goto(sandbox.url + "/")
    for name, path in (("Contact us", "/contact"), ("Sign in", "/login"),
                       ("Create an account", "/signup")):
        link = page.locator("main").get_by_role("link", name=name)
        assert link.get_attribute("href") == path


def _login(url: str, username: str, password: str) -> int:
    """Post the login form without a browser and return the HTTP status."""
    body = urllib.parse.urlencode({"username": username, "password": password}).encode()
    try:
        with urllib.request.urlopen(url + "/login", data=body, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def test_reset_and_api(sandbox: WebSandbox) -> None:
    sandbox.reset()
    assert _login(sandbox.url, "x", "y") == 401
    assert len(sandbox.submissions()) == 1
    sandbox.reset()
    assert sandbox.submissions() == []
    assert _login(sandbox.url, "x", "y") == 401
    assert _post(sandbox.url + "/api/reset") == {"ok": True, "deleted": 1}
    assert _get_json(sandbox.url + "/api/submissions") == []
    # ids restart after a reset, so runs against one database are deterministic
    assert _login(sandbox.url, "demo", "demo123") == 200
    assert sandbox.submissions()[0]["id"] == 1


def test_server_side_validation(sandbox: WebSandbox) -> None:
    sandbox.reset()
    body = b"full_name=Eve&email=eve%40example.org&message=hi"  # terms not accepted
    req = urllib.request.Request(sandbox.url + "/contact", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    page = info.value.read().decode()
    info.value.close()
    assert info.value.code == 400 and "You must accept the terms." in page
    assert sandbox.submissions() == []


def test_temp_db_removed_and_explicit_db_kept(tmp_path: Path) -> None:
    with WebSandbox() as sb:
        temp_db = sb.db_path
        assert temp_db.exists()
    assert not temp_db.exists()
    db = tmp_path / "web.sqlite3"
    with WebSandbox(db_path=db, username="alice", password="s3cret") as sb:
        assert _login(sb.url, "alice", "s3cret") == 200
        assert sb.submissions("login")[0]["data"]["success"] is True
    assert db.exists()


def test_busy_port_raises_oserror(sandbox: WebSandbox) -> None:
    busy = WebSandbox(port=int(sandbox.url.rsplit(":", 1)[1]))
    with pytest.raises(OSError):
        busy.start()
    assert not busy.running
    with pytest.raises(RuntimeError):
        busy.submissions()  # its temporary database was removed again


def test_cli_web_submissions(sandbox: WebSandbox) -> None:
    sandbox.reset()
    assert _login(sandbox.url, "demo", "demo123") == 200
    runner = CliRunner()
    app = _standalone()
    by_db = runner.invoke(app, ["web-submissions", "--db", str(sandbox.db_path)])
    by_url = runner.invoke(app, ["web-submissions", "--url", sandbox.url, "--form", "login"])
    assert by_db.exit_code == 0 and by_url.exit_code == 0, by_db.output + by_url.output
    assert json.loads(by_db.stdout) == json.loads(by_url.stdout) == sandbox.submissions()
    neither = runner.invoke(app, ["web-submissions"])
    assert neither.exit_code == 2


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cli_web_serves_until_stopped(tmp_path: Path, stop_signal: signal.Signals) -> None:
    db = tmp_path / "cli.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "guiagent.cli.sandbox_web", "web", "--port", "0", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=interruptible,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Web sandbox running at http://127.0.0.1:"), first
        url = first.split(" at ")[1].strip()
        assert proc.stdout.readline().split() == ["contact", url + "/contact"]
        assert _get_json(url + "/api/submissions") == []
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Stopping web sandbox." in out
    assert db.exists()


@pytest.mark.browser
def test_reset_cannot_be_triggered_from_another_site(sandbox: WebSandbox, browser: Any) -> None:
    """A page elsewhere posts a form and a no-cors fetch to /api/reset: nothing is deleted."""
    import http.server
    import threading

    target = sandbox.url + "/api/reset"
    attack = (f'<!doctype html><title>attack</title>'
              f'<iframe name=sink onload="if (window.sent) document.title = \'sent\'"></iframe>'
              f'<form method=post action="{target}" target=sink enctype="text/plain">'
              f'<input name=x value=1></form><script>'
              f'const post = () => {{ window.sent = true; document.forms[0].submit(); }};'
              f'fetch("{target}", {{method: "POST", mode: "no-cors", body: "{{}}"}})'
              f'.then(post, post);</script>').encode()

    class Attack(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(attack)))
            self.end_headers()
            self.wfile.write(attack)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Attack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sandbox.reset()
    assert _login(sandbox.url, "x", "y") == 401
    try:
        for host in ("localhost", "127.0.0.1"):  # another site; the same site on another port
            page = browser.new_page()
            page.goto(f"http://{host}:{server.server_address[1]}/")
            page.wait_for_function("document.title === 'sent'")  # both posts answered
            page.close()
            assert len(sandbox.submissions()) == 1
    finally:
        server.shutdown()
        server.server_close()
