"""Streamed replies over real HTTP: pieces as they come, timing, and servers that do not stream."""

import threading

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.agent import AgentHooks
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.runlog import read_run
from guiagent.streaming import ThinkSplitter
from guiagent.testing import GlmModelServer, Reply, glm_answer

MSG = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
THOUGHT = "The OK button is at the bottom right, so I press it now."
CLICK = glm_answer("left_click(start_box='[500,500]', element_info='OK button')",
                   explanation="I press OK.", thinking=THOUGHT)
DONE = glm_answer("DONE()", explanation="Done.", thinking="It is done.")


def joined(pieces, kind):
    return "".join(text for k, text in pieces if k == kind)


@pytest.mark.parametrize("reasoning_field", [False, True])
def test_pieces_arrive_in_order_and_add_up_to_the_reply(reasoning_field):
    with GlmModelServer([CLICK], reasoning_field=reasoning_field) as server:
        client = OpenAIChatClient(ModelSettings(base_url=server.base_url))
        pieces: list[tuple[str, str]] = []
        reply = client.complete(MSG, on_delta=lambda kind, text: pieces.append((kind, text)))
        body = server.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert len(pieces) > 2  # several pieces, not one at the end
    assert joined(pieces, "thinking") == THOUGHT
    assert "left_click(start_box='[500,500]'" in joined(pieces, "answer")
    assert "<think>" not in joined(pieces, "answer") + joined(pieces, "thinking")
    assert (reply.reasoning == THOUGHT) is reasoning_field
    assert reply.content == (CLICK.split("</think>")[1] if reasoning_field else CLICK)
    assert reply.finish_reason == "stop" and reply.usage.completion_tokens > 1
    assert reply.first_token_seconds is not None and 0 < reply.first_token_seconds <= reply.seconds
    assert reply.tokens_per_second is not None and reply.tokens_per_second > 0
    assert client.streaming and client.stream_refusal is None


def test_pieces_reach_the_caller_before_the_server_finishes():
    seen_answer = threading.Event()
    waited = []

    def hold():  # the server does not send the last chunk until the client has shown the answer
        waited.append(seen_answer.wait(timeout=10))

    with GlmModelServer([Reply(content=CLICK, before_finish=hold)]) as server:
        client = OpenAIChatClient(ModelSettings(base_url=server.base_url, timeout=30))
        reply = client.complete(MSG, on_delta=lambda kind, text: kind == "answer"
                                and seen_answer.set())
    assert waited == [True]
    assert reply.content == CLICK


@pytest.mark.parametrize("cut", range(0, 40, 3))
def test_splitter_finds_tags_split_anywhere(cut):
    text = "<think>a <b> c</think><answer>x<y\nMemory:\n[]</answer>"
    pieces: list[tuple[str, str]] = []
    splitter = ThinkSplitter(lambda kind, t: pieces.append((kind, t)))
    for part in (text[:cut], text[cut:cut + 5], text[cut + 5:]):
        splitter.feed(part)
    splitter.flush()
    assert joined(pieces, "thinking") == "a <b> c"
    assert joined(pieces, "answer") == "x<y\nMemory:\n[]"


@pytest.mark.parametrize("mode", ["ignore", "reject"])
def test_a_server_that_does_not_stream_is_asked_plainly_from_then_on(mode):
    with GlmModelServer([CLICK, DONE], stream_mode=mode) as server:
        client = OpenAIChatClient(ModelSettings(base_url=server.base_url))
        pieces: list[tuple[str, str]] = []
        first = client.complete(MSG, on_delta=lambda kind, text: pieces.append((kind, text)))
        second = client.complete(MSG)
        streamed = [req.body.get("stream") for req in server.requests]
    assert first.content == CLICK and second.content == DONE
    assert first.first_token_seconds is None and pieces == []
    assert not client.streaming and client.stream_refusal
    if mode == "ignore":
        assert streamed == [True, None] and first.transport_errors == []
    else:
        assert streamed == [True, None, None]
        [line] = first.transport_errors
        assert line.startswith("BadRequestError: HTTP 400") and "without streaming" in line


def test_streaming_can_be_switched_off():
    with GlmModelServer([CLICK]) as server:
        reply = OpenAIChatClient(ModelSettings(base_url=server.base_url, stream=False)).complete(MSG)
        assert "stream" not in server.requests[0].body
    assert reply.content == CLICK and reply.first_token_seconds is None


class Recorder(AgentHooks):
    def __init__(self):
        self.pieces = []

    def on_model_delta(self, step, kind, text):
        self.pieces.append((step.index, kind, text))


def run_agent(tmp_path, server, hooks=(), **settings):
    client = OpenAIChatClient(ModelSettings(base_url=server.base_url, **{
        "timeout": 5, "retries": 1, "backoff": 0.01, **settings}))
    agent = Agent(ScriptedDriver("640x360"), client, hooks=list(hooks),
                  config=AgentConfig(run_dir=tmp_path / "run", max_steps=4))
    result = agent.run("Press OK.")
    return result, *read_run(result.run_dir)


def test_hooks_get_each_steps_pieces_and_the_log_keeps_the_timing(tmp_path):
    recorder = Recorder()
    with GlmModelServer([CLICK, DONE]) as server:
        result, record, steps = run_agent(tmp_path, server, [recorder])
    assert result.outcome == "done"
    assert "".join(t for i, k, t in recorder.pieces if i == 1 and k == "thinking") == THOUGHT
    assert "".join(t for i, k, t in recorder.pieces if i == 2 and k == "thinking") == "It is done."
    for step in steps:
        [attempt] = step.attempts
        assert attempt.first_token_seconds is not None and attempt.first_token_seconds > 0
        assert attempt.tokens_per_second is not None and attempt.tokens_per_second > 0
    assert steps[0].thinking == THOUGHT


def test_a_stream_cut_midway_is_retried_and_logged(tmp_path):
    answers = iter([Reply(content=CLICK, cut_stream_after=4), Reply(content=CLICK),
                    Reply(content=DONE)])
    with GlmModelServer(lambda req: next(answers)) as server:
        result, record, steps = run_agent(tmp_path, server)
    assert result.outcome == "done", record.error
    [attempt] = steps[0].attempts
    [line] = attempt.transport_errors
    assert line.startswith(("APIConnectionError", "MalformedResponse")) and "retried after" in line
    assert attempt.content == CLICK


def test_an_error_event_in_the_stream_is_a_transport_fault(tmp_path):
    error_event = 'data: {"error": {"message": "engine died", "code": 500}}\n\n'
    answers = iter([Reply(content="", raw_body=error_event,
                          headers={"Content-Type": "text/event-stream"}),
                    Reply(content=CLICK), Reply(content=DONE)])
    with GlmModelServer(lambda req: next(answers)) as server:
        result, record, steps = run_agent(tmp_path, server)
    assert result.outcome == "done", record.error
    [line] = steps[0].attempts[0].transport_errors
    assert "the stream carried an error: engine died" in line


HOSTILE_THOUGHT = "I see [/quote] [link=https://evil.example]x[/link] and \x1b]8;;https://e\x07 here."


@pytest.mark.parametrize("mode", ["sse", "ignore"])
def test_show_thinking_prints_the_thought_as_text(tmp_path, mode):
    import subprocess
    import sys

    answers = [glm_answer("answer(content='ok')", thinking=HOSTILE_THOUGHT)]
    with GlmModelServer(answers, stream_mode=mode) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "run", "Say ok", "--url", "about:blank",
             "--model-url", server.base_url, "--out", str(tmp_path / "run"), "--unattended",
             "--show-thinking"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "thinking (step 1): I see [/quote] [link=https://evil.example]x[/link] and " in proc.stderr
    assert "\\x1b]8;;https://e\\x07 here." in proc.stderr and "\x1b]8;" not in proc.stderr
    lines = proc.stderr.splitlines()
    thought = next(i for i, line in enumerate(lines) if line.startswith("thinking (step 1)"))
    assert lines[thought + 1].startswith("step 1 answer(content='ok')")


def test_show_thinking_puts_a_reasks_thought_on_its_own_line(tmp_path):
    import io

    from rich.console import Console

    from guiagent.cli.thinking import ThinkingPrinter
    from guiagent.testing.faults import NO_ACTION, FaultInjector

    buffer = io.StringIO()
    printer = ThinkingPrinter(Console(file=buffer, width=400))
    injector = FaultInjector([CLICK, DONE], ["no_action"])
    with injector.server() as server:
        result, _, _ = run_agent(tmp_path, server, [printer])
    assert result.outcome == "done"
    lines = buffer.getvalue().splitlines()
    first_thought = NO_ACTION.split("<think>")[1].split("</think>")[0]
    assert lines[:3] == [f"thinking (step 1): {first_thought}",
                         f"thinking (step 1, request 2): {THOUGHT}",
                         "thinking (step 2): It is done."]


def test_an_empty_stream_is_a_transport_fault_and_a_stream_without_finish_reason_is_kept(tmp_path):
    head = '{"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": '
    empty = f'data: {head}[]}}\n\ndata: [DONE]\n\n'
    text = CLICK.replace('"', '\\"').replace("\n", "\\n")
    unfinished = (f'data: {head}[{{"index": 0, "delta": {{"content": "{text}"}}, '
                  f'"finish_reason": null}}]}}\n\ndata: [DONE]\n\n')
    sse = {"Content-Type": "text/event-stream"}
    answers = iter([Reply(content="", raw_body=empty, headers=sse),
                    Reply(content="", raw_body=unfinished, headers=sse), Reply(content=DONE)])
    with GlmModelServer(lambda req: next(answers)) as server:
        result, record, steps = run_agent(tmp_path, server)
    assert result.outcome == "done", record.error
    [attempt] = steps[0].attempts
    [line] = attempt.transport_errors
    assert line.startswith("MalformedResponse: the stream ended without a reply")
    assert attempt.content == CLICK and attempt.finish_reason is None


def test_unicode_line_separators_and_multibyte_text_survive_the_stream():
    from guiagent.streaming import byte_lines

    text = "Café\u2028Müller\x85 €5 \u2029 done"
    answer = glm_answer(f"type(content='{text}')", thinking=f"I type {text}")
    with GlmModelServer([answer]) as server:  # chunks carry raw UTF-8 (ensure_ascii off)
        reply = OpenAIChatClient(ModelSettings(base_url=server.base_url)).complete(MSG)
    assert reply.content == answer and reply.first_token_seconds is not None
    raw = "data: é\u2028x\n\ndata: [DONE]\n\n".encode()
    assert list(byte_lines(raw[i:i + 1] for i in range(len(raw)))) == [
        "data: é\u2028x", "", "data: [DONE]", ""]
