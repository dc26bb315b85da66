"""Secrets: the model types placeholders, the page gets the value, no file of the run holds it."""

import subprocess
import sys

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.errors import ActionRefusedError, ConfigError
from guiagent.protocols.glm41v_pc import Glm41vPcProtocol
from guiagent.runlog import read_run
from guiagent.secrets import Secrets, SecretsDriver
from guiagent.testing import ClickOn, Finish, GlmModelServer, TypeText, glm_answer, plan_answers

VALUE = "s3cr3t-Välue!"


def test_sources_placeholders_and_redaction(tmp_path):
    file = tmp_path / "secrets.env"
    file.write_text("# comment\nAPI_TOKEN = tok-123\n\n")
    secrets = Secrets.from_sources(["PASSWORD=a=b c "], file, env={"GUIAGENT_SECRET_PIN": "4711",
                                                                   "OTHER": "x"})
    assert secrets.names == ["API_TOKEN", "PASSWORD", "PIN"]
    assert secrets.substitute("{{secret:PASSWORD}}/{{ secret:PIN }}") == "a=b c /4711"
    assert secrets.redact("pin 4711 and tok-123") == "pin {{secret:PIN}} and {{secret:API_TOKEN}}"
    tip = secrets.prompt_tip()
    assert "{{secret:PASSWORD}}" in tip and "4711" not in tip and "tok-123" not in tip
    assert "4711" not in repr(secrets)
    with pytest.raises(ActionRefusedError, match=r"no secret named NOPE; available: .*PIN"):
        secrets.substitute("{{secret:NOPE}}")
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        Secrets.from_sources(["PASSWORD"], env={})
    with pytest.raises(ConfigError, match="must be letters"):
        Secrets.from_sources(["my-pass=x"], env={})


def test_driver_types_the_value_and_the_log_keeps_the_placeholder(tmp_path):
    answers = [glm_answer("type(content='{{secret:PASSWORD}}')"),
               glm_answer("type(content='{{secret:WRONG}}')"), glm_answer("DONE()")]
    secrets = Secrets({"PASSWORD": VALUE})
    inner = ScriptedDriver("640x360")
    with GlmModelServer(answers) as server:
        agent = Agent(SecretsDriver(inner, secrets),
                      OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      protocol=Glm41vPcProtocol(tips=secrets.prompt_tip()),
                      config=AgentConfig(run_dir=tmp_path / "run"))
        result = agent.run("Log in.")
    assert result.outcome == "done"
    assert [a.content for a in inner.actions] == [VALUE]
    _, steps = read_run(result.run_dir)
    assert steps[0].action.content == "{{secret:PASSWORD}}"
    assert steps[1].result == "refused"
    assert "there is no secret named WRONG; available: {{secret:PASSWORD}}" in server.requests[2].text
    assert all(VALUE not in r.text for r in server.requests)
    assert "{{secret:PASSWORD}}" in server.requests[0].text
    assert_nowhere(result.run_dir, VALUE)


def assert_nowhere(run_dir, value, *texts):
    needle = value.encode()
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert len(files) >= 3
    for path in files:
        assert needle not in path.read_bytes(), path
    for text in texts:
        assert value not in text


LOGIN_PLAN = [ClickOn("#username", "Username field"), TypeText("demo"),
              ClickOn("#password", "Password field"), TypeText("{{secret:PASSWORD}}"),
              ClickOn("#sign-in", "Sign in button"), Finish()]


@pytest.mark.browser
def test_cli_login_with_a_secret_password(sandbox, tmp_path):
    assert sandbox.password == "demo123"
    answers = plan_answers(sandbox.url + "/login", LOGIN_PLAN)
    sandbox.reset()  # measuring the page submitted the form once, with the placeholder
    out = tmp_path / "login-run"
    with GlmModelServer(answers) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "run", "Sign in as demo.",
             "--url", sandbox.url + "/login", "--model-url", server.base_url,
             "--secret", "PASSWORD=demo123", "--out", str(out), "--max-steps", "10"],
            capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    rows = sandbox.submissions("login")
    assert [r["data"] for r in rows] == [{"username": "demo", "success": True}]
    record, steps = read_run(out)
    assert record.outcome == "done" and record.driver["secrets"] == ["PASSWORD"]
    assert steps[3].action.content == "{{secret:PASSWORD}}"
    assert "{{secret:PASSWORD}}" in server.requests[0].text  # the tip names the placeholder
    assert_nowhere(out, "demo123", proc.stdout, proc.stderr,
                   *(r.text for r in server.requests), *(str(r.body) for r in server.requests))
