"""Streamed thinking is redacted over the text so far: a secret split across pieces never shows."""

import io

from rich.console import Console

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.agent import AgentHooks
from guiagent.cli.thinking import ThinkingPrinter
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.runlog import StepRecord, read_run
from guiagent.secrets import Secrets, SecretsDriver
from guiagent.stream_redaction import RedactedDeltas
from guiagent.testing import GlmModelServer, glm_answer

SECRET = "correct horse battery staple"
THOUGHT = f"The page shows the password {SECRET} in clear; and a%20b. I will click OK."


class Recorder(AgentHooks):
    def __init__(self):
        self.pieces = []

    def on_model_delta(self, step, kind, text):
        self.pieces.append((step.index, kind, text))


def _feed(text: str, cuts: list[int]) -> list[str]:
    secrets = Secrets({"PW": SECRET})
    out: list[str] = []
    deltas = RedactedDeltas(lambda step, kind, piece: out.append(piece), secrets.redactor())
    step = StepRecord(index=1, started_at=0.0)
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        deltas(step, "thinking", text[start:end])
    deltas.flush()
    return out


def test_a_secret_cut_anywhere_is_redacted_whole():
    for cut in range(1, len(THOUGHT)):
        out = _feed(THOUGHT, [cut])
        assert "".join(out) == THOUGHT.replace(SECRET, "{{secret:PW}}"), cut


def test_a_secret_in_single_characters_and_encoded_is_redacted():
    encoded = "x " + SECRET.replace(" ", "+") + " y"  # as a GET form would put it
    out = _feed(encoded, list(range(1, len(encoded))))
    assert "".join(out) == "x {{secret:PW}} y"
    assert all("+" not in piece or piece == "{{secret:PW}}" for piece in out)


def test_the_live_views_never_see_a_streamed_secret(tmp_path):
    recorder, buffer = Recorder(), io.StringIO()
    printer = ThinkingPrinter(Console(file=buffer, width=400))
    driver = SecretsDriver(ScriptedDriver("640x360"), Secrets({"PW": SECRET}))
    answers = [glm_answer("left_click(start_box='[500,500]')", thinking=THOUGHT),
               glm_answer("DONE", thinking="done")]
    with GlmModelServer(answers) as server:
        client = OpenAIChatClient(ModelSettings(base_url=server.base_url, timeout=5, retries=1))
        agent = Agent(driver, client, hooks=[recorder, printer],
                      config=AgentConfig(run_dir=tmp_path / "run", max_steps=3))
        result = agent.run("Press OK.")
    _, steps = read_run(result.run_dir)
    streamed = "".join(t for i, k, t in recorder.pieces if i == 1 and k == "thinking")
    assert len([p for p in recorder.pieces if p[0] == 1 and p[1] == "thinking"]) > 2  # it streamed
    assert SECRET not in streamed and "battery" not in streamed
    assert streamed == steps[0].thinking == THOUGHT.replace(SECRET, "{{secret:PW}}")
    assert "battery" not in buffer.getvalue() and "{{secret:PW}}" in buffer.getvalue()


def test_the_guards_question_never_quotes_a_secret(tmp_path):
    from guiagent.guard import ActionGuard

    asked: list[str] = []
    guard = ActionGuard(confirm=lambda question: asked.append(question) or False)
    driver = SecretsDriver(ScriptedDriver("640x360"), Secrets({"PW": SECRET}))
    answers = [glm_answer(f"left_click(start_box='[500,500]', element_info='Delete {SECRET}')"),
               glm_answer("DONE()")]
    with GlmModelServer(answers) as server:
        client = OpenAIChatClient(ModelSettings(base_url=server.base_url, timeout=5, retries=1))
        Agent(driver, client, hooks=[guard],
              config=AgentConfig(run_dir=tmp_path / "run", max_steps=3)).run("Delete it.")
    assert len(asked) == 1 and "Delete {{secret:PW}}" in asked[0] and "battery" not in asked[0]


def test_url_credentials_cut_anywhere_never_show():
    text = "Open https://admin:hunter2@intranet.example/x, then ftp://u:p@h and a plain word."
    expected = "Open https://intranet.example/x, then ftp://h and a plain word."
    for redactor in (Secrets({"PW": SECRET}).redactor(), Secrets({}).redactor()):
        for cut in range(1, len(text)):
            out: list[str] = []
            deltas = RedactedDeltas(lambda step, kind, piece, out=out: out.append(piece), redactor)
            step = StepRecord(index=1, started_at=0.0)
            deltas(step, "thinking", text[:cut])
            shown_before_the_rest = "".join(out)
            deltas(step, "thinking", text[cut:])
            deltas.flush()
            assert "".join(out) == expected, cut
            assert "admin" not in shown_before_the_rest and "hunter" not in shown_before_the_rest
