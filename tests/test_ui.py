"""The live UI in real Chromium: start a run from the page against the stand-in model, watch
the screenshot update, pause and resume, approve a held action, take over with a click that
reaches the page (the site records it) and shows up as a human step in steps.jsonl and the
report; the token, Host and CSRF checks; `guiagent run --live`."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from ui_site import HELLO_CENTER, NAME_CENTER, VIEWPORT, ShopSite, shop_model

from guiagent.runlog import read_run
from guiagent.testing.model_server import GlmModelServer
from guiagent.ui import UiServer

pytestmark = pytest.mark.browser
TIMEOUT = 60_000
expect.set_options(timeout=TIMEOUT)


@pytest.fixture(scope="module")
def shop():
    with ShopSite() as site:
        yield site


@pytest.fixture
def ui_page(shared_browser):
    context = shared_browser.get().new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT)
    yield context.new_page()
    context.close()


def test_run_started_watched_paused_approved_and_taken_over(tmp_path, shop, ui_page):
    shop.seen.clear()
    page = ui_page
    with GlmModelServer(shop_model(idle=True)) as model, UiServer(tmp_path / "runs") as server:
        page.goto(server.url)
        page.fill("textarea[name=task]", "Place the order")
        page.fill("input[name=url]", shop.url)
        page.fill("input[name=model_url]", model.base_url)
        page.fill("input[name=max_steps]", "300")
        page.click("#start")
        page.wait_for_url(re.compile(r"/live/[\w-]+$"))
        run_id = page.url.rsplit("/", 1)[1]
        expect(page.locator("#task")).to_have_text("Place the order")

        # The guard holds the click on "Place order" for the page's approval.
        expect(page.locator("#confirm")).to_be_visible()
        expect(page.locator("#confirm-question")).to_contain_text("Place order")
        expect(page.locator("#state")).to_have_text("waiting for approval")
        first_screen = page.locator("#shot").get_attribute("data-version")
        assert first_screen is not None
        assert "order" not in shop.seen  # held, not clicked
        page.click("#approve")
        assert shop.wait_for("order"), shop.seen
        expect(page.locator("#confirm")).to_be_hidden()
        expect(page.locator("#step-1 code")).to_contain_text("left_click")
        # The screenshot moves on with the steps (pushed: the page never asks for it).
        expect(page.locator("#shot")).not_to_have_attribute("data-version", first_screen)
        expect(page.locator("#thinking")).not_to_be_empty()

        # Pause holds the loop before its next step; resume lets it go on.
        page.click("#pause")
        expect(page.locator("#state")).to_have_text("paused")
        held_at = len(model.requests)
        steps_before = page.locator("#steps li").count()
        page.click("#resume")
        expect(page.locator("#state")).to_have_text("running")
        expect(page.locator(f"#step-{steps_before + 1}")).to_be_attached()
        assert len(model.requests) > held_at

        # Take over: the person's click on the screenshot reaches the page.
        page.click("#take-over")
        expect(page.locator("#state")).to_have_text("taken over")
        expect(page.locator("#takeover-bar")).to_be_visible()
        asked = len(model.requests)
        shot = page.locator("#shot")
        box = shot.bounding_box()
        assert box is not None
        # New screenshots are held back from here on: the person clicks again while the next
        # one is still loading, and the click lands where they saw the field.
        held: list = []
        released = threading.Event()

        def hold(route):
            route.continue_() if released.is_set() else held.append(route)
        page.route(re.compile(r"/screen/\d+$"), hold)
        page.mouse.click(box["x"] + HELLO_CENTER[0] / VIEWPORT[0] * box["width"],
                         box["y"] + HELLO_CENTER[1] / VIEWPORT[1] * box["height"])
        assert shop.wait_for("hello"), shop.seen
        human = page.locator("#steps li[data-actor=human]")
        expect(human).to_have_count(1)
        expect(human.locator("code")).to_contain_text("left_click")
        page.wait_for_function("document.querySelector('#shot').naturalWidth === 0")  # loading
        # Typing on the focused screenshot types; Enter goes as a key (after the text).
        page.mouse.click(box["x"] + NAME_CENTER[0] / VIEWPORT[0] * box["width"],
                         box["y"] + NAME_CENTER[1] / VIEWPORT[1] * box["height"])
        expect(human).to_have_count(2)
        released.set()
        for route in held:
            route.continue_()
        page.keyboard.type("Ada")
        page.keyboard.press("Enter")
        assert shop.wait_for("name:Ada"), shop.seen
        expect(human).to_have_count(4)
        assert len(model.requests) == asked  # the model was not asked while the person acted

        page.click("#give-back")
        expect(page.locator("#outcome")).to_have_text("done")
        last = model.requests[-1].text
        assert "took control and did this themselves: left_click" in last
        assert "gave control back" in last

        record, steps = read_run(tmp_path / "runs" / run_id)
        assert record.outcome == "done"
        humans = [s for s in steps if s.actor == "human"]
        assert [s.call for s in humans[2:]] == ["type(content='Ada')", "key(keys='enter')"]
        for human_step, center in zip(humans[:2], [HELLO_CENTER, NAME_CENTER], strict=True):
            assert human_step.action is not None and human_step.action.action == "left_click"
            point = human_step.executed[0].surface
            assert abs(point.x - center[0]) < 8 and abs(point.y - center[1]) < 8, point
        assert steps[0].actor == "model" and steps[0].extra["guard"]["confirmed"] is True
        assert [s.index for s in steps] == list(range(1, len(steps) + 1))

        # The report (linked from the page) shows the person's step as theirs.
        expect(page.locator("#report")).to_be_visible()
        page.goto(server.url.rstrip("/") + page.locator("#report").get_attribute("href"))
        expect(page.locator(f"#step-{humans[0].index} .actor-human")).to_have_text("human")

        # The home page lists the finished run with its report.
        page.goto(server.url)
        expect(page.locator("#past-runs")).to_contain_text(run_id)


def test_rejected_confirmation_is_not_clicked(tmp_path, shop, ui_page):
    shop.seen.clear()
    with GlmModelServer(shop_model(idle=False)) as model, UiServer(tmp_path) as server:
        ui_page.goto(server.url)
        ui_page.fill("textarea[name=task]", "Place the order")
        ui_page.fill("input[name=url]", shop.url)
        ui_page.fill("input[name=model_url]", model.base_url)
        ui_page.click("#start")
        expect(ui_page.locator("#confirm")).to_be_visible()
        ui_page.click("#reject")
        expect(ui_page.locator("#outcome")).to_have_text("done")
        expect(ui_page.locator("#step-1")).to_contain_text("refused")
        assert "order" not in shop.seen
        assert "did not allow" in model.requests[1].text


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def _get(host: str, port: int, path: str, *, headers: dict | None = None, method: str = "GET",
         body: str | None = None) -> Answer:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      response.read())
    finally:
        conn.close()


def test_token_is_required_off_loopback(tmp_path, ui_page):
    with UiServer(tmp_path, host="127.0.0.2") as server:
        assert server.token and f"?token={server.token}" in server.url
        host, port = "127.0.0.2", server.port
        assert _get(host, port, "/").status == 403
        assert _get(host, port, "/api/runs").status == 403
        assert _get(host, port, "/?token=" + "x" * len(server.token)).status == 403
        redirect = _get(host, port, f"/?token={server.token}")
        assert redirect.status == 303 and redirect.headers["location"] == "/"
        cookie = redirect.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert _get(host, port, "/api/runs", headers={"Cookie": cookie.split(";")[0]}).status == 200
        # In Chromium: the printed URL opens the UI, and the token leaves the address bar.
        ui_page.goto(server.url)
        expect(ui_page.locator("#start-form")).to_be_visible()
        assert "token" not in ui_page.url
        # A state change needs the page's own origin and header, even with the cookie.
        form = '{"task": "x", "url": "http://127.0.0.1:1/", "model_url": "http://127.0.0.1:1/v1"}'
        auth = {"Cookie": cookie.split(";")[0], "Content-Type": "application/json"}
        assert _get(host, port, "/api/runs", method="POST", body=form, headers=auth).status == 403
        evil = {**auth, "Origin": "http://evil.example", "X-Guiagent": "1"}
        assert _get(host, port, "/api/runs", method="POST", body=form, headers=evil).status == 403
        bad = {**auth, "Origin": f"http://{host}:{port}", "X-Guiagent": "1"}
        response = _get(host, port, "/api/runs", method="POST", body='{"task": ""}', headers=bad)
        assert response.status == 400 and b"task" in response.body


def test_loopback_needs_no_token_but_checks_the_host(tmp_path):
    with UiServer(tmp_path) as server:
        assert server.token is None and "token" not in server.url
        assert _get("127.0.0.1", server.port, "/").status == 200
        rebinding = _get("127.0.0.1", server.port, "/", headers={"Host": f"evil.example:{server.port}"})
        assert rebinding.status == 421
        assert _get("127.0.0.1", server.port, "/api/runs/nope/events").status == 404


def test_cli_run_live_serves_the_run(tmp_path, shop, ui_page):
    shop.seen.clear()
    out = tmp_path / "run"
    with GlmModelServer(shop_model(idle=False)) as model:
        proc = subprocess.Popen(
            [sys.executable, "-m", "guiagent.cli.main", "run", "Place the order", "--url", shop.url,
             "--model-url", model.base_url, "--out", str(out), "--live", "--retries", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "COLUMNS": "300"})
        try:
            url = None
            assert proc.stderr is not None
            for line in proc.stderr:
                found = re.search(r"live UI: (http://\S+)", line)
                if found:
                    url = found.group(1)
                    break
            assert url and url.endswith(f"/live/{out.name}")
            ui_page.goto(url)
            expect(ui_page.locator("#confirm-question")).to_contain_text("Place order")
            ui_page.click("#approve")
            expect(ui_page.locator("#outcome")).to_have_text("done")
            assert proc.wait(timeout=60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
    assert "order" in shop.seen
    record, steps = read_run(out)
    assert record.outcome == "done" and steps[0].extra["guard"]["confirmed"] is True
    assert Path(out / "report.html").is_file()


def test_cli_ui_serves_and_stops_on_ctrl_c(tmp_path):
    import signal

    from conftest import interruptible

    proc = subprocess.Popen(
        [sys.executable, "-m", "guiagent.cli.main", "ui", "--port", "0", "--runs", str(tmp_path),
         "--require-token"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "300"}, preexec_fn=interruptible)
    try:
        assert proc.stderr is not None
        url = None
        for line in proc.stderr:
            found = re.search(r"live UI: http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)$", line.strip())
            if found:
                url = found
                break
        assert url is not None
        port, token = int(url.group(1)), url.group(2)
        assert _get("127.0.0.1", port, "/api/runs").status == 403  # --require-token on loopback
        answer = _get("127.0.0.1", port, f"/api/runs?token={token}")
        assert answer.status == 200 and str(tmp_path) in answer.body.decode()
        page = _get("127.0.0.1", port, f"/?token={token}&x=1")  # the page: token into a cookie
        assert page.status == 303 and page.headers["location"] == "/?x=1"
        cookie = page.headers["set-cookie"].split(";")[0]
        assert b"Start a run" in _get("127.0.0.1", port, "/", headers={"Cookie": cookie}).body
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130  # the usual status after Ctrl-C
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def _run_folder(path: Path, task: str) -> None:
    from guiagent.runlog import RunLog, RunRecord

    RunLog(path, RunRecord(task=task)).finish("done")


def test_past_runs_and_eval_results_are_listed_with_reports(tmp_path, ui_page):
    from guiagent.eval.episode import EpisodeResult
    from guiagent.eval.results import write_summary

    hostile = "<img src=x onerror=\"document.title='owned'\"> book a flight"
    _run_folder(tmp_path / "20260101-000000-aaaaaa", hostile)
    evals = tmp_path / "evals-web"
    _run_folder(evals / "book-0" / "run", "Book it")
    result = EpisodeResult(task="book", repeat=0, success=True, outcome="done", run_dir="book-0/run")
    (evals / "results.jsonl").write_text(result.model_dump_json() + "\n")
    write_summary(evals, [result])
    with UiServer(tmp_path) as server:
        port = server.port
        listing = _get("127.0.0.1", port, "/api/runs")
        assert b"20260101-000000-aaaaaa" in listing.body and b"evals-web" in listing.body
        report = _get("127.0.0.1", port, "/runs/20260101-000000-aaaaaa/report.html")
        assert report.status == 200 and "sandbox" in report.headers["content-security-policy"]
        assert b"&lt;img src=x" in report.body and b"<img src=x" not in report.body
        assert _get("127.0.0.1", port, "/evals/evals-web/report.html").status == 200
        assert _get("127.0.0.1", port, "/evals/evals-web/book-0/run/report.html").status == 200
        escape = "/evals/evals-web/../20260101-000000-aaaaaa/report.html"
        assert _get("127.0.0.1", port, escape).status == 404
        assert _get("127.0.0.1", port, "/runs/../report.html").status == 404

        ui_page.goto(server.url)
        table = ui_page.locator("#past-runs")
        expect(table).to_contain_text(hostile)  # shown as text
        assert table.locator("img").count() == 0 and ui_page.title() == "guiagent"
        expect(ui_page.locator("#evals")).to_contain_text("100%")
        with ui_page.expect_popup() as popup:
            ui_page.click("#evals a")
        expect(popup.value.locator("body")).to_contain_text("book")


def test_links_out_of_the_runs_folder_are_neither_listed_nor_served(tmp_path):
    from guiagent.eval.episode import EpisodeResult
    from guiagent.eval.results import write_summary

    runs, outside = tmp_path / "runs", tmp_path / "outside"
    _run_folder(outside / "20260101-000000-bbbbbb", "private task elsewhere")
    _run_folder(outside / "ep" / "run", "private episode")
    result = EpisodeResult(task="x", repeat=0, success=True, outcome="done", run_dir="ep/run")
    (outside / "results.jsonl").write_text(result.model_dump_json() + "\n")
    write_summary(outside, [result])
    runs.mkdir()
    (runs / "20260101-000000-bbbbbb").symlink_to(outside / "20260101-000000-bbbbbb")
    (runs / "evals-linked").symlink_to(outside)
    _run_folder(runs / "20260101-000000-cccccc", "own run")  # its files link out of DIR
    own = runs / "20260101-000000-cccccc"
    (own / "steps.jsonl").unlink()
    (own / "steps.jsonl").symlink_to(outside / "20260101-000000-bbbbbb" / "steps.jsonl")
    evals = runs / "evals-own"
    evals.mkdir()
    (evals / "ep").symlink_to(outside / "ep")
    (evals / "results.jsonl").write_text(result.model_dump_json() + "\n")
    write_summary(evals, [result])
    with UiServer(runs) as server:
        port = server.port
        listing = _get("127.0.0.1", port, "/api/runs").body
        assert b"private task elsewhere" not in listing and b"evals-linked" not in listing
        assert _get("127.0.0.1", port, "/runs/20260101-000000-bbbbbb/report.html").status == 404
        assert _get("127.0.0.1", port, "/runs/20260101-000000-cccccc/report.html").status == 404
        assert _get("127.0.0.1", port, "/evals/evals-linked/report.html").status == 404
        assert _get("127.0.0.1", port, "/evals/evals-own/report.html").status == 200
        assert _get("127.0.0.1", port, "/evals/evals-own/ep/run/report.html").status == 404


def test_runs_started_here_keep_the_servers_allowed_domains_and_secrets(tmp_path, shop):
    """``guiagent ui --allow-domain/--secret``: the form cannot leave the allowed domains; a
    person's ``{{secret:PW}}`` reaches the page as the value and nothing else as more than
    the placeholder."""
    import json

    from ui_site import model_point

    from guiagent.testing.model_server import Reply, glm_answer
    from guiagent.ui.runs import RunManager, RunSafety

    value = "s3cr3t-Päss"
    shop.seen.clear()

    def respond(req):
        if "took control" in req.text:
            return glm_answer("DONE()")
        if req.step == 1:
            return glm_answer(f"left_click(start_box='{model_point(NAME_CENTER)}', element_info='name')")
        return Reply(glm_answer(f"hover(start_box='[{500 + req.step % 20 * 20},900]')"), delay=0.3)

    host = shop.url.split("/")[2]
    safety = RunSafety(allow_domains=[host], secrets=[f"PW={value}"])
    with GlmModelServer(respond) as model, UiServer(RunManager(tmp_path, safety)) as server:
        def post(path: str, body: dict) -> Answer:
            return _get("127.0.0.1", server.port, path, method="POST", body=json.dumps(body), headers={
                "Origin": f"http://127.0.0.1:{server.port}", "X-Guiagent": "1",
                "Content-Type": "application/json"})

        form = {"task": "Enter the name", "model_url": model.base_url, "max_steps": 200}
        safety.model_urls = [model.base_url]
        outside = post("/api/runs", {**form, "url": "http://example.org/"})
        assert outside.status == 400 and b"allow-domain" in outside.body
        other_model = post("/api/runs", {**form, "url": shop.url,
                                         "model_url": "http://user:pw@203.0.113.9:8000/v1"})
        assert other_model.status == 400 and b"--model-url" in other_model.body
        assert b"pw@" not in other_model.body
        started = post("/api/runs", {**form, "url": shop.url})
        assert started.status == 201, started.body
        run_id = json.loads(started.body)["id"]
        hub = server.manager.get(run_id).hub
        assert hub.wait_for(lambda e: e.get("type") == "step" and e["index"] == 1, 60)
        api = f"/api/runs/{run_id}"
        assert post(api + "/take-over", {}).status == 200
        assert hub.wait_for(lambda e: e.get("type") == "state" and e["state"] == "taken over", 60)
        assert post(api + "/act", {"kind": "type", "text": "{{secret:PW}}"}).status == 202
        assert post(api + "/act", {"kind": "key", "keys": "enter"}).status == 202
        assert shop.wait_for(f"name:{value}")
        assert post(api + "/give-back", {}).status == 200
        finished = hub.wait_for(lambda e: e.get("type") == "finished", 60)
        events = json.dumps(hub.events(), ensure_ascii=False)
    assert finished is not None and finished["outcome"] == "done", finished
    assert "type(content='{{secret:PW}}')" in events and "s3cr3t" not in events
    files = "\n".join(p.read_bytes().decode("utf-8", "replace")
                      for p in (tmp_path / run_id).rglob("*") if p.is_file())
    assert "{{secret:PW}}" in files and "s3cr3t" not in files


def test_cli_ui_refuses_a_policy_or_secrets_file_it_cannot_read(tmp_path):
    for option in ("--policy", "--secrets-file"):
        proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "ui", "--port", "0",
                               option, str(tmp_path / "missing")],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and "missing" in proc.stderr, (option, proc.stderr)
