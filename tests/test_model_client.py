"""OpenAIChatClient against a real local HTTP server speaking the chat-completions API."""

import pytest

from guiagent.model import ModelSettings, OpenAIChatClient
from guiagent.protocols.glm41v_pc import Glm41vPcProtocol
from guiagent.testing import GlmModelServer, glm_answer

MSG = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


def test_reply_usage_and_settings_reach_the_server():
    answer = glm_answer("key(keys='enter')", thinking="go")
    with GlmModelServer([answer]) as server:
        client = OpenAIChatClient(ModelSettings(base_url=server.base_url, model="my-glm",
                                                max_tokens=123, temperature=0.01))
        reply = client.complete(MSG)
        body = server.requests[0].body
    assert reply.content == answer
    assert reply.usage.total_tokens > 0
    assert body["model"] == "my-glm" and body["max_tokens"] == 123
    assert body["temperature"] == 0.01 and body["skip_special_tokens"] is False


@pytest.mark.parametrize("reasoning_field", [False, True])
def test_reasoning_parser_deployments_parse_the_same(reasoning_field):
    answer = glm_answer("left_click(start_box='[10,20]', element_info='OK')", thinking="look")
    with GlmModelServer([answer], reasoning_field=reasoning_field) as server:
        reply = OpenAIChatClient(ModelSettings(base_url=server.base_url)).complete(MSG)
    parsed = Glm41vPcProtocol().parse(reply.content, reply.reasoning)
    assert parsed.thinking == "look"
    assert parsed.action.start_box.y == 20
    assert ("<think>" in reply.content) is not reasoning_field


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("GUIAGENT_MODEL_URL", "http://10.0.0.1:8000/v1")
    monkeypatch.setenv("GUIAGENT_MODEL", "glm")
    s = ModelSettings.from_env(api_key="k")
    assert (s.base_url, s.model, s.api_key) == ("http://10.0.0.1:8000/v1", "glm", "k")
