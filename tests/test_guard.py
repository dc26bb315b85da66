"""The action guard: refusals reach the model, policies load, browsers stay on their domains."""

import http.server
import threading

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.actions import LeftClick, Point
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.errors import ConfigError
from guiagent.guard import ActionGuard, GuardPolicy
from guiagent.guard_browser import domain_allowed
from guiagent.runlog import StepRecord, read_run
from guiagent.testing import GlmModelServer, glm_answer

DONE = glm_answer("DONE()")


def run(tmp_path, answers, driver=None, hooks=(), max_steps=6):
    driver = driver or ScriptedDriver("640x360")
    with GlmModelServer(answers) as server:
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run", max_steps=max_steps),
                      hooks=list(hooks))
        result = agent.run("Do the task.")
    record, steps = read_run(result.run_dir)
    return result, steps, server.requests, driver


@pytest.mark.parametrize("guarded", [False, True])
def test_off_screen_point_is_refused_and_the_model_told(tmp_path, guarded):
    answers = [glm_answer("left_click(start_box='[1200,500]', element_info='far right')"), DONE]
    hooks = [ActionGuard()] if guarded else []
    result, steps, requests, driver = run(tmp_path, answers, hooks=hooks)
    assert result.outcome == "done"
    assert driver.actions == []
    assert steps[0].result == "refused" and steps[0].error.type == "OffScreenError"
    note = "(note: that action was refused and not executed: point [1200,500] is outside"
    assert note not in requests[0].text and note in requests[1].text


def test_denied_key_combinations(tmp_path):
    answers = [glm_answer("key(keys='alt+ctrl+del')"), glm_answer("key(keys='alt+f4')"),
               glm_answer("key(keys='ctrl+c')"), DONE]
    result, steps, requests, driver = run(tmp_path, answers, hooks=[ActionGuard()])
    assert [a.keys for a in driver.actions] == ["ctrl+c"]
    assert [s.result for s in steps[:3]] == ["refused", "refused", "key"]
    assert "ctrl+alt+delete is not allowed by the action policy" not in requests[0].text
    assert "alt+ctrl+delete is not allowed by the action policy" in requests[1].text
    assert "alt+f4 is not allowed" in requests[2].text


def test_virtual_terminal_switches_are_refused_outside_a_sandbox(tmp_path):
    answers = [glm_answer("key(keys='ctrl+alt+f2')"), glm_answer("key(keys='alt+ctrl+F12')"),
               glm_answer("key(keys='ctrl+f2')"), DONE]
    _, steps, _, driver = run(tmp_path, answers, hooks=[ActionGuard()])
    assert [a.keys for a in driver.actions] == ["ctrl+f2"]
    assert [s.result for s in steps[:2]] == ["refused", "refused"]
    _, _, _, driver = run(tmp_path / "sandboxed", answers, hooks=[ActionGuard(GuardPolicy(sandboxed=True))])
    assert [a.keys.lower() for a in driver.actions] == ["ctrl+alt+f2", "alt+ctrl+f12", "ctrl+f2"]


def test_sandboxed_policy_allows_alt_f4_but_never_ctrl_alt_delete(tmp_path):
    answers = [glm_answer("key(keys='alt+f4')"), glm_answer("key(keys='ctrl+alt+delete')"), DONE]
    policy = GuardPolicy(sandboxed=True)
    _, steps, _, driver = run(tmp_path, answers, hooks=[ActionGuard(policy)])
    assert [a.keys for a in driver.actions] == ["alt+f4"]
    assert steps[1].result == "refused"


BUY = glm_answer("left_click(start_box='[500,500]', element_info='Buy now button')")


def test_unattended_run_refuses_actions_that_need_confirmation(tmp_path):
    result, steps, requests, driver = run(tmp_path, [BUY, DONE], hooks=[ActionGuard()])
    assert driver.actions == []
    assert steps[0].result == "refused"
    assert steps[0].extra["guard"]["confirm"] == r"\bbuy\b"
    assert "needs a person's confirmation" in requests[1].text
    assert "unattended" in requests[1].text


@pytest.mark.parametrize("answer", [True, False])
def test_interactive_confirmation(tmp_path, answer):
    asked = []

    def confirm(question):
        asked.append(question)
        return answer

    _, steps, requests, driver = run(tmp_path, [BUY, DONE], hooks=[ActionGuard(confirm=confirm)])
    [question] = asked
    assert "left_click" in question and "Buy now button" in question
    assert len(driver.actions) == (1 if answer else 0)
    assert steps[0].result == ("left_click" if answer else "refused")
    assert ("the user did not allow" in requests[1].text) is not answer


def test_action_rate_is_paced():
    now, slept = [0.0], []
    guard = ActionGuard(GuardPolicy(max_actions_per_minute=2), clock=lambda: now[0],
                        sleep=lambda s: (slept.append(s), now.__setitem__(0, now[0] + s)))
    driver = ScriptedDriver("640x360")
    driver.start()
    obs = driver.observe()
    steps = [StepRecord(index=i, started_at=0) for i in range(4)]
    click = LeftClick(start_box=Point(x=10, y=10))
    for i, step in enumerate(steps):
        now[0] += 1 if i else 0
        guard.before_action(step, click, obs)
    assert slept == [58.0]  # third action at t=2 waits until t=60
    assert steps[2].extra["throttled_seconds"] == 58.0
    assert "throttled_seconds" not in steps[3].extra


def test_zap_and_supersets_of_denied_combinations_are_refused(tmp_path):
    answers = [glm_answer("key(keys='ctrl+alt+shift+delete')"),
               glm_answer("key(keys='ctrl+alt+backspace')"),
               glm_answer("key(keys='shift+alt+f4')"), glm_answer("key(keys='ctrl+alt+t')"), DONE]
    _, steps, _, driver = run(tmp_path, answers, hooks=[ActionGuard()])
    assert [a.keys for a in driver.actions] == ["ctrl+alt+t"]
    assert [s.result for s in steps[:3]] == ["refused"] * 3


def test_allow_list_entries_are_checked():
    for bad in ["", " ", "*", "http://", "a b"]:
        with pytest.raises(ValueError, match="allow-list entry"):
            GuardPolicy(allow_domains=["example.org", bad])
    # Wherever an invalid entry slips through, it allows nothing, and never everything.
    assert not domain_allowed("https://evil.test/", [""])
    assert not domain_allowed("https://evil.test/", ["*"])
    # IDN entries match the punycode host the browser sends.
    assert domain_allowed("https://xn--bcher-kva.example/buch", ["bücher.example"])
    assert domain_allowed("https://shop.xn--bcher-kva.example/", ["BÜCHER.example"])
    assert not domain_allowed("https://xn--bcher-kva.example.evil/", ["bücher.example"])
    # A port in an entry is compared with the URL's port, its scheme's default included.
    assert domain_allowed("https://example.org/", ["example.org:443"])
    assert not domain_allowed("http://example.org/", ["example.org:443"])


def test_cli_refuses_an_empty_allow_domain(tmp_path):
    from typer.testing import CliRunner

    from guiagent.cli.main import app

    result = CliRunner().invoke(app, ["run", "x", "--url", "http://127.0.0.1:9/",
                                      "--allow-domain", "", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "--allow-domain" in result.output and "names no host" in result.output
    assert not (tmp_path / "r").exists()


def test_policy_file(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("allow_domains: [example.org]\nmax_actions_per_minute: 20\n"
                    "deny_keys: [ctrl+alt+delete, ctrl+w]\nconfirm_patterns: ['\\bsend\\b']\n")
    policy = GuardPolicy.load(path)
    assert policy.allow_domains == ["example.org"] and policy.max_actions_per_minute == 20
    assert frozenset({"ctrl", "w"}) in policy.denied_combos()
    path.write_text("deny_keys: [ctrl+banana]\n")
    with pytest.raises(ConfigError, match=r"policy.yaml: deny_keys: .*ctrl\+banana.*unknown key name"):
        GuardPolicy.load(path)
    path.write_text("allow_domain: [example.org]\n")
    with pytest.raises(ConfigError, match="allow_domain: Extra inputs are not permitted"):
        GuardPolicy.load(path)
    path.write_text("confirm_patterns: ['(']\n")
    with pytest.raises(ConfigError, match="not a regular expression"):
        GuardPolicy.load(path)


def test_domain_matching():
    allowed = ["example.org", "127.0.0.1:8000"]
    assert domain_allowed("https://example.org/x", allowed)
    assert domain_allowed("https://shop.example.org/x", allowed)
    assert not domain_allowed("https://badexample.org/", allowed)
    assert not domain_allowed("https://example.org.evil.com/", allowed)
    assert domain_allowed("http://127.0.0.1:8000/a", allowed)
    assert not domain_allowed("http://127.0.0.1:9000/a", allowed)
    assert not domain_allowed("chrome-error://chromewebdata/", allowed)
    assert not domain_allowed("file:///etc/passwd", allowed)
    assert domain_allowed("about:blank", allowed)
    assert domain_allowed("https://anything.test/", [])


# --- in a real browser ---------------------------------------------------------------------

PAGE = """<!doctype html><title>Shop</title><body style="margin:0">
<a id="leave" href="http://localhost:{port}/elsewhere"
   style="position:absolute;left:100px;top:100px;width:200px;height:50px">Partner site</a>
<button id="buy" onclick="document.title='bought'; fetch('/bought')"
   style="position:absolute;left:600px;top:100px;width:200px;height:50px">Buy now</button>
<p style="position:absolute;left:100px;top:400px">Delete nothing here: just text.</p>
</body>"""
LINK, BUTTON, TEXT = "[156,174]", "[547,174]", "[100,570]"


@pytest.fixture
def shop():
    """A page on 127.0.0.1 with a link to localhost and a Buy button; records every request."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(f"{self.headers['Host'].split(':')[0]}{self.path}")
            body = PAGE.format(port=server.server_address[1]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", hits
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_navigation_to_another_domain_is_blocked(tmp_path, shop):
    from guiagent.drivers.playwright import PlaywrightDriver

    url, hits = shop
    answers = [glm_answer(f"left_click(start_box='{LINK}', element_info='Partner site')"), DONE]
    guard = ActionGuard(GuardPolicy(allow_domains=["127.0.0.1"]))
    driver = PlaywrightDriver(url)
    guard.prepare(driver)  # the browser starts behind the allow-list proxy
    with driver:
        result, steps, requests, _ = run(tmp_path, answers, driver=driver, hooks=[guard])
        shown = driver.page.evaluate("location.href")
        text = driver.page.inner_text("body")
    assert result.outcome == "done"
    assert not any(h.startswith("localhost") for h in hits)  # the request never left
    assert shown == url and "Partner site" in text
    assert steps[1].url == url
    note = f"the browser did not open http://localhost:{url.split(':')[2]}elsewhere"
    assert note in requests[1].text and "The browser went back to" in requests[1].text


@pytest.mark.browser
def test_button_text_under_the_point_needs_confirmation(tmp_path, shop):
    from guiagent.drivers.playwright import PlaywrightDriver

    url, hits = shop
    answers = [glm_answer(f"left_click(start_box='{TEXT}')"),  # plain text mentioning Delete
               glm_answer(f"left_click(start_box='{BUTTON}')"), DONE]  # no element_info at all
    with PlaywrightDriver(url) as driver:
        result, steps, requests, _ = run(tmp_path, answers, driver=driver, hooks=[ActionGuard()])
        title = driver.page.title()
    assert steps[0].result == "left_click"  # own text "Delete nothing here" has no button
    assert steps[1].result == "refused"
    assert steps[1].extra["guard"]["target"] == "Buy now"
    assert title == "Shop" and "127.0.0.1/bought" not in hits
    assert "on 'Buy now' needs a person's confirmation" in requests[2].text


@pytest.mark.browser
@pytest.mark.parametrize("reply", ["y", "n"])
def test_cli_asks_on_the_terminal_in_interactive_runs(tmp_path, shop, reply):
    import subprocess
    import sys

    url, hits = shop
    answers = [glm_answer(f"left_click(start_box='{BUTTON}', element_info='Buy now')"), DONE]
    with GlmModelServer(answers) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "run", "Buy it.", "--url", url,
             "--model-url", server.base_url, "--out", str(tmp_path / "run"), "--interactive"],
            input=f"{reply}\n", capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "The agent wants to run left_click(start_box='[547,174]'" in proc.stderr
    assert "Allow it?" in proc.stderr
    _, steps = read_run(tmp_path / "run")
    assert ("127.0.0.1/bought" in hits) is (reply == "y")
    assert steps[0].result == ("left_click" if reply == "y" else "refused")
