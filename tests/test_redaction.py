"""Secrets never leave: one redaction at the log boundary, for every string and its encodings.

Each test plants a secret where an attacker (a hostile page, a careless form, a
model URL with a password) would make it show up, then scans every file of the
run and everything printed for the value in any of its encoded forms.
"""

import json
import subprocess
import sys
from urllib.parse import quote, quote_plus

import pytest
from pages.server import PageServer

from guiagent import Agent, AgentConfig, AgentHooks, ModelSettings, OpenAIChatClient
from guiagent.actions import Type
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.hooks import add_note
from guiagent.protocols.glm41v_pc import Glm41vPcProtocol
from guiagent.runlog import read_run
from guiagent.secrets import Secrets, SecretsDriver
from guiagent.skills import find_skill, run_skill
from guiagent.testing import ClickOn, Finish, GlmModelServer, TypeText, glm_answer, plan_answers

# Quote, backslash, double quote, non-ASCII and a plus: every encoder changes it differently.
VALUE = "it's\\my\"Päss+w0rd"


def encoded_forms(value):
    """The value as the places it ends up write it."""
    return {
        "raw": value, "quote": quote(value), "quote_safe": quote(value, safe=""),
        "quote_plus": quote_plus(value), "json": json.dumps(value)[1:-1],
        "json_ascii": json.dumps(value, ensure_ascii=True)[1:-1],
        "json_utf8": json.dumps(value, ensure_ascii=False)[1:-1],
        "repr": repr(value)[1:-1], "call": value.replace("\\", "\\\\").replace("'", "\\'"),
    }


def assert_nowhere(run_dir, value, *texts):
    """No file under ``run_dir`` and none of ``texts`` holds ``value`` in any encoded form."""
    forms = encoded_forms(value)
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for name, form in forms.items():
            assert form.encode() not in data, (path, name)
    for text in texts:
        for name, form in forms.items():
            assert form not in text, name


def test_every_encoded_form_is_redacted():
    secrets = Secrets({"PW": VALUE, "PIN": "4711"})
    for name, form in encoded_forms(VALUE).items():
        redacted = secrets.redact(f"x {form} y")
        assert form not in redacted, name
        assert "{{secret:PW}}" in redacted, name
    assert secrets.redact("pin=4711") == "pin={{secret:PIN}}"


def test_overlapping_secrets_redact_the_longest_first():
    secrets = Secrets({"SHORT": "abc", "LONG": "abcdef"})
    assert secrets.redact("abcdef abc") == "{{secret:LONG}} {{secret:SHORT}}"


class LeakyDriver(ScriptedDriver):
    """A page that shows the secret in its URL (a GET form) and its title."""

    def act(self, action, frame):
        result = super().act(action, frame)
        if isinstance(action, Type):
            self.url = f"http://127.0.0.1/welcome?user=demo&password={quote_plus(action.content)}"
            self.title = f"Welcome demo ({action.content!r})"
        return result


class NoteTheUrl(AgentHooks):
    """Like the guard's blocked-navigation note: quotes the page's URL to the model."""

    def __init__(self, driver):
        self.driver = driver

    def after_action(self, step, result):
        if self.driver.url:
            add_note(step, f"the browser did not open {self.driver.url}")


def test_urls_titles_notes_and_results_are_redacted_in_files_and_prompts(tmp_path):
    answers = [glm_answer("type(content='{{secret:PW}}')"), glm_answer("wait()"),
               glm_answer("DONE()")]
    inner = LeakyDriver("640x360")
    secrets = Secrets({"PW": VALUE})
    with GlmModelServer(answers) as server:
        agent = Agent(SecretsDriver(inner, secrets),
                      OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      protocol=Glm41vPcProtocol(tips=secrets.prompt_tip()),
                      config=AgentConfig(run_dir=tmp_path / "run"), hooks=[NoteTheUrl(inner)])
        result = agent.run("Sign in.")
    assert result.outcome == "done"
    assert inner.actions[0].content == VALUE  # the page got the value
    _, steps = read_run(result.run_dir)
    assert "password={{secret:PW}}" in steps[1].url
    assert "{{secret:PW}}" in steps[1].title
    assert "{{secret:PW}}" in steps[0].extra["notes"][0]
    # The note reached the model's next prompt redacted.
    assert "the browser did not open" in server.requests[1].text
    from guiagent.replay import write_report

    write_report(result.run_dir)
    assert_nowhere(result.run_dir, VALUE, *(r.text for r in server.requests))


def test_model_url_credentials_are_not_recorded(tmp_path):
    with GlmModelServer([glm_answer("DONE()")]) as server:
        url = server.base_url.replace("http://", "http://alice:tok3n-Secret@")
        agent = Agent(ScriptedDriver("640x360"),
                      OpenAIChatClient(ModelSettings(base_url=url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run"))
        result = agent.run("Nothing.")
    assert result.outcome == "done"
    record, _ = read_run(result.run_dir)
    assert record.model["base_url"] == server.base_url
    assert_nowhere(result.run_dir, "tok3n-Secret")


@pytest.mark.browser
def test_get_form_password_stays_out_of_files_and_terminal(tmp_path):
    with PageServer() as pages:
        url = pages.url + "/get_login.html"
        plan = [ClickOn("#username", "Username field"), TypeText("demo"),
                ClickOn("#password", "Password field"), TypeText("{{secret:PASSWORD}}"),
                ClickOn("#sign-in", "Sign in button"), Finish()]
        answers = plan_answers(url, plan)
        out = tmp_path / "run"
        with GlmModelServer(answers) as server:
            model_url = server.base_url.replace("http://", "http://bob:m0del-Key@")
            proc = subprocess.run(
                [sys.executable, "-m", "guiagent.cli.main", "run", "Sign in as demo.",
                 "--url", url, "--model-url", model_url, "--out", str(out),
                 "--max-steps", "8", "--unattended"],
                capture_output=True, text=True, timeout=180,
                env={**_env(), "GUIAGENT_SECRET_PASSWORD": VALUE})
    assert proc.returncode == 0, proc.stderr
    _, steps = read_run(out)
    # the secret itself was typed (the page got it), and the log holds only its placeholder
    assert "password={{secret:PASSWORD}}" in steps[-1].url, steps[-1].url
    assert "%7B%7Bsecret" not in steps[-1].url, steps[-1].url
    assert "{{secret:PASSWORD}}" in steps[-1].title
    assert (out / "report.html").is_file()
    assert_nowhere(out, VALUE, proc.stdout, proc.stderr)
    assert_nowhere(out, "m0del-Key", proc.stdout, proc.stderr)


@pytest.mark.browser
def test_login_skill_on_a_get_form_keeps_the_password_out(tmp_path):
    from guiagent import PlaywrightDriver

    with PageServer() as pages, PlaywrightDriver(pages.url + "/get_login.html") as driver:
        result = run_skill(find_skill("login"), driver,
                           {"username": "demo", "password": VALUE, "expect": "Welcome"},
                           run_dir=tmp_path / "run")
        assert VALUE in driver.page.title()  # the page really got (and shows) it
    assert result.outcome == "done", result.error
    assert_nowhere(tmp_path / "run", VALUE)


def _env():
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("GUIAGENT_")}
