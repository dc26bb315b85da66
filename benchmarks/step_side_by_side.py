"""Side-by-side mode of ``step_overhead.py``: guiagent vs a bare Playwright loop vs browser-use.

The same page (the web sandbox's contact form), the same 10-step task (click a
field, type, ... send, DONE) and the same instant fake model
(``step_gap_server.py``, its own process) for every contender. The figure is the
*gap*: from the moment the model's answer was sent to the moment the next
request had fully arrived -- parse, act, settle, capture, encode, log, build the
request -- measured by the model server, so it is the same clock for everyone.
Episodes of the contenders are interleaved (A B C A B C ...), so load that comes
and goes on the machine falls on all of them.

* ``guiagent``: :class:`~guiagent.Agent` with :class:`~guiagent.PlaywrightDriver`, as
  ``guiagent run`` drives a page (run log, stuck detection, history thumbnails);
* ``bare-jpeg`` / ``bare-png``: the loop a tutorial writes: ``page.screenshot``,
  base64, the same chat request through ``openai``, a regex for the call,
  ``page.mouse.click`` / ``keyboard.type`` -- no log, no history, no waiting but
  ``expect_navigation`` around the click that sends the form (the script knows it
  navigates; a screenshot taken while it does can hang for its 30 s timeout);
* ``browser-use`` (with ``--browser-use-python``): ``benchmarks/browser_use_episode.py``
  in that interpreter, browser-use's own Agent with its ChatOpenAI pointed at the
  fake model, which answers in browser-use's JSON with the element indexes of its prompt.
"""

from __future__ import annotations

import base64
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TASK = ("Fill the contact form: name Ada Lovelace, email ada@example.org, message Hello, "
        "contact by phone, accept the terms, and send it.")
#: The 10 model steps, for the GLM plan and for browser-use's plan.
FIELDS = [("click", "full_name"), ("type", "Ada Lovelace"), ("click", "email"),
          ("type", "ada@example.org"), ("click", "message"), ("type", "Hello"),
          ("click", "contact_phone"), ("click", "terms"), ("click", "send"), ("done", "")]
BROWSER_USE_PLAN = [{"type": "full_name", "text": "Ada Lovelace"},
                    {"type": "email", "text": "ada@example.org"},
                    {"type": "message", "text": "Hello"}, {"click": "contact_phone"},
                    {"click": "terms"}, {"click": "send"}, {"done": "Sent."}]


class GapServer:
    """The fake model and sandbox process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(HERE / "step_gap_server.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "READY":
            raise SystemExit("the fake model server did not start")
        self.model_url, self.sandbox_url = line[1], line[2]

    def _call(self, path: str, payload: Any = None) -> Any:
        base = self.model_url.rsplit("/v1", 1)[0]
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(base + path, data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - our own 127.0.0.1
            return json.loads(resp.read())

    def script(self, script: Any) -> None:
        self._call("/script", script)

    def gaps(self) -> list[float]:
        return self._call("/gaps")["gaps"]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def glm_script(url: str, viewport: str) -> list[str]:
    """GLM-format answers with the form's real coordinates at this viewport."""
    from guiagent.testing.page_plan import ClickOn, Finish, TypeText, plan_answers

    plan = [ClickOn("#" + arg) if kind == "click" else TypeText(arg) if kind == "type"
            else Finish() for kind, arg in FIELDS]
    return plan_answers(url, plan, viewport)


def page_loads(run: Path) -> list[float]:
    """Per step of the guiagent run in ``run``: the page's own load time (s)."""
    steps = [json.loads(line) for line in (run / "steps.jsonl").read_text().splitlines()]
    return [step.get("timings", {}).get("page_load", 0.0) for step in steps]


def run_guiagent(server: GapServer, viewport: str, workdir: Path) -> Path:
    """One episode through guiagent; its run folder."""
    from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver

    driver = PlaywrightDriver(server.sandbox_url + "/contact", viewport=viewport)
    client = OpenAIChatClient(ModelSettings(base_url=server.model_url, retries=0))
    agent = Agent(driver, client, config=AgentConfig(
        run_dir=workdir / f"run-{time.monotonic_ns()}", max_steps=len(FIELDS) + 2))
    with driver:
        result = agent.run(TASK)
    if result.outcome != "done":
        raise SystemExit(f"guiagent's episode ended {result.outcome}: {result.error}")
    return result.run_dir


_CALL = re.compile(r"(left_click|type|DONE)\((.*)\)")


def run_bare(server: GapServer, viewport: str, image_type: str) -> None:
    """The bare loop: screenshot, base64, ask, regex, click/type."""
    import openai
    from playwright.sync_api import sync_playwright

    from guiagent.drivers.browser import LAUNCH_ARGS, find_chromium

    width, height = (int(v) for v in viewport.split("x"))
    client = openai.OpenAI(base_url=server.model_url, api_key="x", max_retries=0)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(pw), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(server.sandbox_url + "/contact")
        for step in range(len(FIELDS) + 2):
            shot = page.screenshot(type=image_type, **({"quality": 85} if image_type == "jpeg"
                                                       else {}))
            url = f"data:image/{image_type};base64," + base64.b64encode(shot).decode()
            reply = client.chat.completions.create(model="fake", messages=[{
                "role": "user", "content": [{"type": "text", "text": TASK},
                                            {"type": "image_url", "image_url": {"url": url}}]}])
            match = _CALL.search(reply.choices[0].message.content or "")
            if match is None or match.group(1) == "DONE":
                break
            if match.group(1) == "left_click":
                x, y = (int(v) for v in re.findall(r"\d+", match.group(2))[:2])
                if FIELDS[step] == ("click", "send"):  # the script knows this click navigates
                    with page.expect_navigation():
                        page.mouse.click(x / 1000 * width, y / 1000 * height)
                else:
                    page.mouse.click(x / 1000 * width, y / 1000 * height)
            else:
                page.keyboard.type(re.search(r"content='(.*)'", match.group(2)).group(1))
        browser.close()


def run_browser_use(server: GapServer, viewport: str, python: str) -> None:
    subprocess.run([python, str(HERE / "browser_use_episode.py"), server.model_url,
                    server.sandbox_url + "/contact", viewport, TASK], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)


#: guiagent's gaps less the page's own load time of the step (``page_load`` in steps.jsonl).
NET = "guiagent, net of page load"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def side_by_side(viewports: list[str], episodes: int, browser_use_python: str | None,
                 only: list[str] | None = None) -> dict:
    """Run every contender (or those in ``only``) ``episodes`` times per viewport, interleaved."""
    server = GapServer()
    results: dict[str, dict[str, list[float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for viewport in viewports:
                script = glm_script(server.sandbox_url + "/contact", viewport)
                cell = results.setdefault(viewport, {})
                contenders: list[tuple[str, Any]] = [
                    ("guiagent", lambda vp=viewport: run_guiagent(server, vp, Path(tmp))),
                    ("bare-jpeg", lambda vp=viewport: run_bare(server, vp, "jpeg")),
                    ("bare-png", lambda vp=viewport: run_bare(server, vp, "png"))]
                if browser_use_python:
                    contenders.append(("browser-use", lambda vp=viewport: run_browser_use(
                        server, vp, browser_use_python)))
                contenders = [c for c in contenders if not only or c[0] in only]
                for _ in range(episodes):
                    for name, run in contenders:
                        server.script({"mode": "browser-use", "plan": BROWSER_USE_PLAN}
                                      if name == "browser-use" else script)
                        made = run()
                        gaps = server.gaps()
                        cell.setdefault(name, []).extend(gaps)
                        if name == "guiagent":  # the gap after step i's answer holds its action
                            loads = page_loads(made)
                            cell.setdefault(NET, []).extend(
                                gap - (loads[i] if i < len(loads) else 0.0)
                                for i, gap in enumerate(gaps))
    finally:
        server.close()
    return results


def steadiness(gaps: list[float], episodes: int) -> float | None:
    """p95 of each gap over the median of the same step in the other episodes.

    p95/p50 over all gaps mixes steps that do different work (a form's send waits for
    the server's page, a click on a field does not): with 3 sends in 27 gaps, p95 is a
    send for every contender. This ratio is 1.0 for a loop that takes the same time for
    the same step every time, and grows with stalls of its own (fsync, GC, a missed frame).
    """
    if episodes < 2 or len(gaps) % episodes:
        return None
    steps = len(gaps) // episodes
    medians = [statistics.median(gaps[i::steps]) for i in range(steps)]
    return pct([gap / medians[i % steps] for i, gap in enumerate(gaps)], 0.95)


def print_table(results: dict, load: str, episodes: int = 0) -> None:
    print(f"framework time per step (gap: model answer -> next request), ms; load {load}")
    print("same-step p95: p95 of each gap / the median of that step over the episodes")
    for viewport, cell in results.items():
        print(f"\n{viewport}")
        print(f"{'contender':<13}{'gaps':>6}{'p50':>9}{'p95':>9}{'p95/p50':>9}"
              f"{'vs bare-jpeg':>14}{'vs bare-png':>13}{'same-step p95':>15}")
        base_j = statistics.median(cell["bare-jpeg"]) if "bare-jpeg" in cell else None
        base_p = statistics.median(cell["bare-png"]) if "bare-png" in cell else None
        for name, gaps in cell.items():
            if name == NET:
                continue
            p50, p95 = statistics.median(gaps), pct(gaps, 0.95)
            vs_j = f"{p50 / base_j:>14.2f}" if base_j else f"{'-':>14}"
            vs_p = f"{p50 / base_p:>13.2f}" if base_p else f"{'-':>13}"
            steady = steadiness(gaps, episodes)
            steady_cell = f"{steady:>15.2f}" if steady is not None else f"{'-':>15}"
            print(f"{name:<13}{len(gaps):>6}{p50 * 1000:>9.1f}{p95 * 1000:>9.1f}{p95 / p50:>9.2f}"
                  f"{vs_j}{vs_p}{steady_cell}")
        if NET in cell:
            net = cell[NET]
            p50, p95 = statistics.median(net), pct(net, 0.95)
            print(f"{NET}: p50 {p50 * 1000:.1f}  p95 {p95 * 1000:.1f}  p95/p50 {p95 / p50:.2f}  "
                  "(each gap less the time the page took to load a document the step's action "
                  "started: the form's send)")
        if "browser-use" in cell and "guiagent" in cell:
            ratio = statistics.median(cell["browser-use"]) / statistics.median(cell["guiagent"])
            print(f"browser-use / guiagent p50: {ratio:.1f}x")
