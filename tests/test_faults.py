"""Each model-side fault, produced over real HTTP, and what the run makes of it.

The agent runs on a ScriptedDriver against FaultInjector's server; every test
checks the outcome, the attempts written to steps.jsonl and the final error.
"""

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.runlog import read_run
from guiagent.testing import glm_answer
from guiagent.testing.faults import FaultInjector, closed_port_url

CLICK = glm_answer("left_click(start_box='[500,500]', element_info='OK button')",
                   explanation="I press OK.")
ANSWERS = [CLICK, glm_answer("DONE()", explanation="Done.")]


def run_agent(tmp_path, base_url, **settings):
    driver = ScriptedDriver("640x360")
    client = OpenAIChatClient(ModelSettings(base_url=base_url, **{
        "timeout": 0.5, "retries": 1, "backoff": 0.01, **settings}))
    agent = Agent(driver, client, config=AgentConfig(run_dir=tmp_path / "run", max_steps=4))
    result = agent.run("Press OK.")
    record, steps = read_run(result.run_dir)
    return result, record, steps, driver


def test_refused_connection_ends_the_run_with_a_clear_error(tmp_path):
    url = closed_port_url()
    result, record, steps, driver = run_agent(tmp_path, url, retries=2)
    assert result.outcome == record.outcome == "error"
    assert record.error.type == "ModelConnectionError"
    assert url in record.error.message and "vllm serve" in record.error.message
    [step] = steps
    [attempt] = step.attempts
    assert attempt.error.type == "ModelConnectionError"
    assert len(attempt.transport_errors) == 3
    assert all(e.startswith("APIConnectionError") for e in attempt.transport_errors)
    assert driver.actions == []


RECOVERED = {
    "timeout": "APITimeoutError: no answer within 0.5s",
    "rate_limit": "RateLimitError: HTTP 429",
    "server_error": "InternalServerError: HTTP 500",
    "bad_gateway": "InternalServerError: HTTP 502",
    "unavailable": "InternalServerError: HTTP 503",
    "malformed_json": "MalformedResponse: the response body is not JSON",
    "drop": "APIConnectionError",
}


@pytest.mark.parametrize("fault", sorted(RECOVERED))
def test_transport_fault_is_retried_and_logged(tmp_path, fault):
    injector = FaultInjector(ANSWERS, [fault], timeout_delay=1.5, retry_after=0.2)
    with injector.server() as server:
        result, record, steps, driver = run_agent(tmp_path, server.base_url)
    assert result.outcome == "done", record.error
    assert len(server.requests) == 3  # the faulty request, its retry, then step 2
    first = steps[0].attempts
    assert len(first) == 1 and first[0].error is None
    [line] = first[0].transport_errors
    assert line.startswith(RECOVERED[fault]), line
    assert "retried after" in line
    assert [a.action for a in driver.actions] == ["left_click"]


def test_retry_after_header_sets_the_wait(tmp_path):
    injector = FaultInjector(ANSWERS, ["rate_limit"], retry_after=1)
    with injector.server() as server:
        _, _, steps, _ = run_agent(tmp_path, server.base_url)
    assert steps[0].attempts[0].transport_errors[0].endswith("retried after 1.00s)")


PERSISTENT = {
    "timeout": "did not answer within 0.5s",
    "rate_limit": "kept answering HTTP 429",
    "unavailable": "kept failing with HTTP 503",
    "malformed_json": "not chat completions",
    "drop": "cannot reach the model server",
}


@pytest.mark.parametrize("fault", sorted(PERSISTENT))
def test_persistent_transport_fault_ends_the_run(tmp_path, fault):
    injector = FaultInjector(ANSWERS, [fault] * 10, timeout_delay=1.5, retry_after=0.1)
    with injector.server() as server:
        result, record, steps, driver = run_agent(tmp_path, server.base_url, retries=2)
    assert result.outcome == record.outcome == "error"
    assert record.error.type == "ModelConnectionError"
    assert PERSISTENT[fault] in record.error.message
    assert server.base_url in record.error.message
    [step] = steps
    assert step.error.type == "ModelConnectionError"
    [attempt] = step.attempts
    assert len(attempt.transport_errors) == 3 and attempt.error.message == record.error.message
    assert driver.actions == []


def test_client_error_status_is_not_retried(tmp_path):
    def respond(req):
        from guiagent.testing import Reply
        return Reply(content="model 'x' does not exist", status=404)

    from guiagent.testing import GlmModelServer
    with GlmModelServer(respond) as server:
        result, record, steps, _ = run_agent(tmp_path, server.base_url, retries=3)
    assert len(server.requests) == 1
    assert result.outcome == "error" and "HTTP 404" in record.error.message
    assert steps[0].attempts[0].transport_errors[0].startswith("NotFoundError: HTTP 404")


REASKED = {
    "empty": "your reply was empty.",
    "truncated": "your reply was cut off at the token limit",
    "no_action": "no action found in the answer",
}


@pytest.mark.parametrize("fault", sorted(REASKED))
def test_unusable_answer_is_reasked_with_a_correction(tmp_path, fault):
    injector = FaultInjector(ANSWERS, [fault])
    with injector.server() as server:
        result, record, steps, driver = run_agent(tmp_path, server.base_url)
    assert result.outcome == "done", record.error
    first = steps[0]
    assert first.extra["attempt_kinds"] == ["ask", "reask"]
    assert first.attempts[0].error.type == "ModelResponseError"
    assert first.attempts[1].error is None
    assert REASKED[fault] not in server.requests[0].text
    assert REASKED[fault] in server.requests[1].text
    assert "Reply again with exactly one action" in server.requests[1].text
    assert first.request.prompt == server.requests[1].text  # the log keeps the last prompt
    assert [a.action for a in driver.actions] == ["left_click"]


def test_answer_without_action_every_time_ends_the_run(tmp_path):
    injector = FaultInjector(ANSWERS, ["no_action"] * 10)
    with injector.server() as server:
        result, record, steps, driver = run_agent(tmp_path, server.base_url)
    assert result.outcome == "error"
    assert record.error.type == "ModelResponseError"
    assert "no action found" in record.error.message
    [step] = steps
    assert len(step.attempts) == 3 == len(server.requests)  # one ask, two re-asks
    assert all(a.error.type == "ModelResponseError" for a in step.attempts)
    assert step.action is None and driver.actions == []


def test_endless_thinking_is_closed_and_continued(tmp_path):
    injector = FaultInjector(ANSWERS, ["endless_think"])
    with injector.server() as server:
        result, record, steps, driver = run_agent(
            tmp_path, server.base_url, thinking_max_tokens=300, answer_max_tokens=64)
    assert result.outcome == "done", record.error
    first, cont = server.requests[0].body, server.requests[1].body
    assert first["max_tokens"] == 300
    assert cont["max_tokens"] == 64
    assert cont["continue_final_message"] is True and cont["add_generation_prompt"] is False
    prefix = cont["messages"][-1]
    assert prefix["role"] == "assistant"
    assert prefix["content"].startswith("<think>Let me look")
    assert prefix["content"].endswith("</think><answer>")
    step = steps[0]
    assert step.extra["attempt_kinds"] == ["ask", "continue"]
    assert step.attempts[0].finish_reason == "length"
    assert step.thinking.startswith("Let me look at the screen again.")
    assert step.action.action == "left_click"
    assert [a.action for a in driver.actions] == ["left_click"]


def test_continuation_can_be_switched_off(tmp_path):
    injector = FaultInjector(ANSWERS, ["endless_think"])
    with injector.server() as server:
        result, _, steps, _ = run_agent(tmp_path, server.base_url, continue_thinking=False)
    assert result.outcome == "done"
    assert not any(r.body.get("continue_final_message") for r in server.requests)
    assert steps[0].extra["attempt_kinds"] == ["ask", "reask"]
    assert "cut off at the token limit" in server.requests[1].text
