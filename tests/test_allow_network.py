"""The allow list holds at the network: a disallowed host never receives a single request.

Two real HTTP servers: the allowed site on 127.0.0.1:A and a recording server on
port B, reached as ``localhost:B`` (another host name) or ``127.0.0.1:B`` (another
port). Every way a page can make the browser leave (redirects of each kind, meta
refresh, script navigation, subresources, iframes, workers, popups, form posts,
WebSockets, beacons) is tried; the proxy must refuse each attempt, and the
recording server must end with zero requests.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading

import pytest

from guiagent.runlog import read_run
from guiagent.testing import GlmModelServer, glm_answer


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 answering GET/POST with ``pages(path)``; logs every request."""

    def __init__(self, pages):
        self.hits: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                outer.hits.append(f"{self.command} {self.headers.get('Host')}{self.path}")
                status, headers, body = pages(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def html(text):
    return 200, {"Content-Type": "text/html; charset=utf-8"}, f"<!doctype html>{text}".encode()


def site_pages(away: str):
    """The allowed site; ``away`` is the forbidden server's origin (http://localhost:B)."""
    def pages(path):
        name = path.split("?")[0]
        if name.startswith("/redirect/"):
            code = int(name.rsplit("/", 1)[1])
            return code, {"Location": f"{away}/redirected-{code}?password=hunter2"}, b""
        if name == "/chain":  # an allowed hop first, then the disallowed one
            return 302, {"Location": "/redirect/308"}, b""
        if name == "/home":
            return 302, {"Location": "/"}, b""
        scripts = {
            "/meta": f'<meta http-equiv="refresh" content="0;url={away}/meta">',
            "/script": f'<script>location.href = "{away}/script"</script>',
            "/replace": f'<script>setTimeout(() => location.replace("{away}/replace"), 10)</script>',
            "/img": f'<img src="{away}/img.png">',
            "/iframe": f'<iframe src="{away}/iframe"></iframe>',
            "/fetch": f'<script>fetch("{away}/fetch", {{mode: "no-cors"}}).catch(() => 0)</script>',
            "/popup": f'<script>window.open("{away}/popup")</script>',
            "/form": f'<form method=post action="{away}/post"><input name=q value=1></form>'
                     '<script>document.forms[0].submit()</script>',
            "/beacon": f'<script>navigator.sendBeacon("{away}/beacon", "x")</script>',
            "/worker": '<script>new Worker("/worker.js")</script>',
            "/socket": f'<script>new WebSocket("{away.replace("http", "ws")}/socket")</script>',
            "/link": '<a href="/redirect/302" style="display:block;width:400px;height:100px">'
                     'Partner</a><button onclick="fetch(\'/bought\')" '
                     'style="display:block;width:400px;height:100px">Buy now</button>',
        }
        if name == "/worker.js":
            return 200, {"Content-Type": "text/javascript"}, (
                f'fetch("{away}/worker").catch(() => 0)').encode()
        if name in scripts:
            return html(f"<title>{name}</title>{scripts[name]}")
        return html("<title>Allowed</title><h1>Allowed site</h1>")
    return pages


@pytest.fixture
def two_hosts():
    """(allowed site, forbidden server); the site's pages point at localhost:<forbidden port>."""
    forbidden = Server(lambda path: html("<title>FORBIDDEN</title><h1>you should not see this</h1>"))
    site = Server(site_pages(f"http://localhost:{forbidden.port}"))
    yield site, forbidden
    site.close()
    forbidden.close()


CASES = ["/redirect/301", "/redirect/302", "/redirect/303", "/redirect/307", "/redirect/308",
         "/chain", "/meta", "/script", "/replace", "/img", "/iframe", "/fetch", "/popup", "/form",
         "/beacon", "/worker", "/socket"]


@pytest.mark.browser
def test_no_request_reaches_a_disallowed_host(two_hosts):
    from guiagent.drivers.playwright import PlaywrightDriver

    site, forbidden = two_hosts
    base = f"http://127.0.0.1:{site.port}"
    with PlaywrightDriver(base + "/", allow_domains=[f"127.0.0.1:{site.port}"]) as driver:
        proxy = driver.network_filter
        assert proxy is not None
        assert driver.page.title() == "Allowed"  # allowed traffic passes the proxy
        refused = {}
        for case in CASES:  # each in a fresh tab, so a late navigation cannot disturb the next
            proxy.take_blocked()
            page = driver.context.new_page()
            try:
                page.goto(base + case, wait_until="load", timeout=10_000)
            except Exception:  # noqa: BLE001,S110 - a refused redirect fails the navigation
                pass
            refused[case] = proxy.wait_blocked(lambda b: b.port == forbidden.port, timeout=10)
            page.close()
        # Typed addresses: another host name, and the same host on another port.
        for away in (f"http://localhost:{forbidden.port}/typed",
                     f"http://127.0.0.1:{forbidden.port}/other-port"):
            proxy.take_blocked()
            page = driver.context.new_page()
            try:
                page.goto(away, wait_until="load", timeout=10_000)
            except Exception:  # noqa: BLE001,S110 - a refused https tunnel fails the navigation
                pass
            refused[away] = proxy.wait_blocked(lambda b: b.port == forbidden.port, timeout=10)
            page.close()
        # A redirect between allowed pages still works.
        main = driver.context.pages[0]
        main.goto(base + "/home", wait_until="load")
        assert main.title() == "Allowed"
    assert forbidden.hits == []
    assert [case for case, tried in refused.items() if not tried] == []
    assert f"GET 127.0.0.1:{site.port}/redirect/302" in site.hits


@pytest.mark.browser
def test_cli_run_keeps_a_redirect_off_the_disallowed_host(tmp_path, two_hosts):
    """guiagent run --allow-domain: a link on the allowed site answers 302 to another host."""
    site, forbidden = two_hosts
    base = f"http://127.0.0.1:{site.port}"
    answers = [glm_answer("left_click(start_box='[100,100]', element_info='Partner')"),
               glm_answer("DONE()")]
    with GlmModelServer(answers) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "run", "Open the partner.",
             "--url", base + "/link", "--model-url", server.base_url, "--out",
             str(tmp_path / "run"), "--unattended", "--allow-domain", f"127.0.0.1:{site.port}"],
            capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert forbidden.hits == []
    note = f"the browser did not open http://localhost:{forbidden.port}/redirected-302"
    assert note in server.requests[1].text
    assert "hunter2" not in server.requests[1].text
    _, steps = read_run(tmp_path / "run")
    assert steps[1].url == base + "/link"  # back on the allowed page
    assert "hunter2" not in (tmp_path / "run" / "steps.jsonl").read_text()


SKILL = """name: open_partner
description: Opens the partner page, then buys.
steps:
  - agent: "Open the partner site, then buy."
"""


@pytest.mark.browser
def test_skill_run_guards_agent_steps(tmp_path, two_hosts):
    """guiagent skill run --allow-domain --unattended: the agent step's redirect and Buy are stopped."""
    site, forbidden = two_hosts
    base = f"http://127.0.0.1:{site.port}"
    skill = tmp_path / "open_partner.yaml"
    skill.write_text(SKILL)
    answers = [glm_answer("left_click(start_box='[100,100]', element_info='Partner')"),
               glm_answer("left_click(start_box='[100,250]', element_info='Buy now')"),
               glm_answer("DONE()")]
    with GlmModelServer(answers) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "skill", "run", str(skill),
             "--url", base + "/link", "--model-url", server.base_url, "--out",
             str(tmp_path / "run"), "--unattended", "--allow-domain", f"127.0.0.1:{site.port}"],
            capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert forbidden.hits == []
    assert not any("/bought" in h for h in site.hits)
    assert f"did not open http://localhost:{forbidden.port}/redirected-302" in server.requests[1].text
    assert "needs a person's confirmation" in server.requests[2].text
    assert "Stay on these sites: 127.0.0.1:" in server.requests[0].text


def test_proxy_refuses_before_connecting_and_forwards_one_request_per_connection(two_hosts):
    """The proxy alone, spoken to like Chromium does: CONNECT and absolute-form requests."""
    import socket

    from guiagent.allowlist import AllowList
    from guiagent.drivers.allow_proxy import AllowListProxy

    site, forbidden = two_hosts

    def ask(proxy, raw):
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
            sock.sendall(raw)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
                if raw.startswith(b"CONNECT") and b"\r\n\r\n" in data:
                    break
        return data

    with AllowListProxy(AllowList([f"127.0.0.1:{site.port}"])) as proxy:
        refused = [
            ask(proxy, f"CONNECT localhost:{forbidden.port} HTTP/1.1\r\n\r\n".encode()),
            ask(proxy, f"GET http://localhost:{forbidden.port}/x?pw=1 HTTP/1.1\r\n"
                       f"Host: localhost:{forbidden.port}\r\n\r\n".encode()),
            ask(proxy, f"POST http://127.0.0.1:{forbidden.port}/y HTTP/1.1\r\nHost: x\r\n"
                       f"Content-Length: 3\r\n\r\nabc".encode()),
        ]
        allowed = ask(proxy, f"GET http://127.0.0.1:{site.port}/ HTTP/1.1\r\nHost: "
                             f"127.0.0.1:{site.port}\r\nConnection: keep-alive\r\n"
                             f"Proxy-Connection: keep-alive\r\n\r\n".encode())
        blocked = [str(b) for b in proxy.take_blocked()]
    assert all(r.startswith(b"HTTP/1.1 403 ") for r in refused)
    assert forbidden.hits == []
    assert blocked == [f"https://localhost:{forbidden.port}", f"http://localhost:{forbidden.port}/x",
                       f"http://127.0.0.1:{forbidden.port}/y"]
    head = allowed.split(b"\r\n\r\n")[0].lower()
    assert allowed.startswith(b"HTTP/1.") and b"connection: close" in head
    assert b"Allowed site" in allowed and site.hits[-1] == f"GET 127.0.0.1:{site.port}/"
