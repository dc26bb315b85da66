"""``guiagent doctor`` against real HTTP stand-in servers, each misconfigured one way."""

import json
import subprocess
import sys

import pytest

from guiagent.doctor import diagnose
from guiagent.testing import GlmModelServer, Reply, glm_answer
from guiagent.testing.faults import closed_port_url

GLM41V = "zai-org/GLM-4.1V-9B-Thinking"
CLICK = "left_click(start_box='[500,500]', element_info='OK button')"
ANSWER = glm_answer(CLICK, explanation="I click OK.", thinking="The OK button is in the middle.")


def verdicts(diag):
    return {c.name: c for c in diag.checks}


def check(responder=(ANSWER,), *, model=GLM41V, protocol=None, ask=GLM41V, **server):
    with GlmModelServer(responder if callable(responder) else list(responder), model=model,
                        **{"max_model_len": 32768, **server}) as srv:
        return diagnose(srv.base_url, ask, protocol, timeout=10)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "guiagent.cli.main", "doctor", *args],
                          capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": "250", "PATH": "/usr/bin:/bin"})


def test_a_well_served_model_passes_every_check_and_the_cli_says_usable():
    with GlmModelServer([ANSWER], max_model_len=32768) as srv:
        proc = cli("--model-url", srv.base_url)
        as_json = cli("--model-url", srv.base_url, "--model", GLM41V, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "verdict: usable" in proc.stdout and "answer parses" in proc.stdout
    data = json.loads(as_json.stdout)
    assert as_json.returncode == 0 and data["usable"] is True
    assert {c["name"]: c["verdict"] for c in data["checks"]} == {
        "server answers": "ok", "model served": "ok", "image request": "ok",
        "images per request": "ok", "context length": "ok", "streaming": "ok",
        "special tokens": "ok", "thinking field": "ok", "answer parses": "ok"}
    assert data["probe"]["call"] == CLICK
    assert data["probe"]["first_token_seconds"] > 0 and data["probe"]["tokens_per_second"] > 0


def test_image_limit_names_the_limit_mm_per_prompt_flag():
    def one_image_only(req):
        if len(req.images) > 1:  # vLLM's words when --limit-mm-per-prompt is left at 1
            return Reply(status=400, content=f"At most 1 image(s) may be provided in one "
                                             f"request. You provided {len(req.images)}.")
        return ANSWER

    found = verdicts(check(one_image_only))["images per request"]
    assert found.verdict == "fail" and "the server allows 1" in found.detail
    assert "--limit-mm-per-prompt '{\"image\":5}'" in found.fix


def test_stripped_box_tokens_are_named():
    diag = check([glm_answer(CLICK, explanation="I click OK.", boxed=False)])
    found = verdicts(diag)["special tokens"]
    assert found.verdict == "warn" and "<|begin_of_box|>" in found.detail
    assert "skip_special_tokens=false" in found.fix
    assert diag.usable  # the action is still found by the fallback


def test_a_reasoning_parser_that_swallows_the_answer_is_named():
    diag = check([Reply(content="", reasoning=ANSWER.replace("<think>", ""))])
    found = verdicts(diag)["thinking field"]
    assert found.verdict == "fail" and "without --reasoning-parser" in found.fix
    assert verdicts(diag)["answer parses"].verdict == "fail"
    assert not diag.usable


def test_glm45v_thinking_inline_asks_for_its_reasoning_parser():
    answer = "<think>The OK button is in the middle.</think>I click OK.\n" \
             f"<|begin_of_box|>{CLICK}<|end_of_box|>\nMemory:\n[]"
    found = verdicts(check([answer], model="zai-org/GLM-4.5V", ask=None))["thinking field"]
    assert found.verdict == "warn" and "--reasoning-parser glm45" in found.fix


def test_thinking_in_reasoning_content_is_fine_for_glm41v():
    diag = check([ANSWER], reasoning_field=True)
    assert verdicts(diag)["thinking field"].verdict == "ok"
    assert "reasoning_content" in verdicts(diag)["thinking field"].detail
    assert verdicts(diag)["answer parses"].verdict == "ok"


@pytest.mark.parametrize("length, verdict, fix", [
    (4096, "fail", "--max-model-len 32768"),
    (12000, "warn", "--thinking-tokens 3000"),
])
def test_short_context_names_max_model_len(length, verdict, fix):
    diag = check(max_model_len=length)
    found = verdicts(diag)["context length"]
    assert found.verdict == verdict and fix in found.fix, found
    assert diag.usable is (verdict == "warn")


@pytest.mark.parametrize("mode", ["reject", "ignore"])
def test_a_server_that_does_not_stream_is_usable_with_a_warning(mode):
    diag = check(stream_mode=mode)
    found = verdicts(diag)["streaming"]
    assert found.verdict == "warn" and "proxy" in found.fix
    assert diag.probe["first_token_seconds"] is None
    assert verdicts(diag)["answer parses"].verdict == "ok" and diag.usable


def test_an_unreachable_server_is_not_usable_and_the_cli_exits_1():
    url = closed_port_url()
    proc = cli("--model-url", url, "--json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    first = data["checks"][0]
    assert first["name"] == "server answers" and first["verdict"] == "fail"
    assert "guiagent serve MODEL" in first["fix"]
    assert data["checks"][-1]["verdict"] == "skip" and data["usable"] is False


def test_a_wrong_model_name_names_the_served_one():
    diag = check(model="glm-4.1v-local", ask=GLM41V)
    found = verdicts(diag)["model served"]
    assert found.verdict == "fail" and "(glm-4.1v-local)" in found.detail
    assert "--model glm-4.1v-local" in found.fix and f"--served-model-name {GLM41V}" in found.fix


def test_a_url_without_v1_is_named():
    with GlmModelServer([ANSWER]) as srv:
        diag = diagnose(srv.base_url.removesuffix("/v1"), None, None, timeout=10)
    found = verdicts(diag)["server answers"]
    assert found.verdict == "fail" and found.fix.endswith(f"{srv.base_url}")


@pytest.mark.parametrize("args, message", [
    (["--model-url", "ftp://x"], "must start with http:// or https://"),
    (["--protocol", "nope"], "unknown protocol 'nope'"),
])
def test_bad_usage_exits_2(args, message):
    proc = cli(*args)
    assert proc.returncode == 2 and message in proc.stderr


def test_the_table_prints_what_the_server_says_as_text():
    hostile = "glm [/quote] [link=https://evil.example]x[/link] \x1b]8;;https://e\x07"
    with GlmModelServer([ANSWER], model=hostile) as srv:
        proc = cli("--model-url", srv.base_url)
    assert "[/quote] [link=https://evil.example]x[/link]" in proc.stdout
    assert "\x1b]8;" not in proc.stdout and "\\x1b]8;;https://e\\x07" in proc.stdout


@pytest.mark.parametrize("name", ["glm41v-pc", "glm41v-web", "glm45v", "ui-tars", "qwen25vl",
                                  "qwen3vl", "json"])
def test_each_familys_stand_in_passes_every_check(name):
    from guiagent.testing.standins import IntendedAction, plan_responder

    click = plan_responder(name, [IntendedAction("click", at=(0.5, 0.5), info="OK button",
                                                 say="I click OK.", element=0)])

    def respond(req):  # the image checks ask for a number; the probe step gets the family's click
        return Reply(content=str(len(req.images))) if "How many images" in req.text else click(req)

    with GlmModelServer(respond, max_model_len=65536, reasoning_field=(name == "glm45v")) as srv:
        diag = diagnose(srv.base_url, None, name, timeout=10)
    assert diag.protocol == name
    assert [c.name for c in diag.checks if c.verdict != "ok"] == [], diag.checks
    assert diag.probe["call"]
