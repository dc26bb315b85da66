"""Prompt templates: checked placeholders, --prompt-template, and `guiagent prompt show`."""

import subprocess
import sys

import pytest

from guiagent.errors import ConfigError
from guiagent.geometry import Size
from guiagent.protocols.base import HistoryEntry, StepInput
from guiagent.protocols.registry import make_protocol
from guiagent.protocols.templates import packaged_text, read_template_file
from guiagent.testing import GlmModelServer, glm_answer

STEP = StepInput("Open the menu.", "data:image/png;base64,", Size(width=1280, height=720),
                 [HistoryEntry("I click it.\nleft_click(start_box='[1,2]')\nMemory:\n[]")],
                 ["menu seen"])
MINIMAL = "Do: $task\nDone so far:\n$history\nRemember: $memory\n"


def guiagent(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "guiagent.cli.main", *args],
                          capture_output=True, text=True, timeout=timeout)


def test_a_users_template_replaces_the_prompt_text() -> None:
    prompt = make_protocol("glm41v-pc", prompt_template=MINIMAL).build_request(STEP).prompt
    assert prompt == ("Do: Open the menu.\nDone so far:\nstep 1: I click it.\n"
                      "left_click(start_box='[1,2]')\nRemember: [\"menu seen\"]\n")


def test_the_built_in_template_renders_as_before() -> None:
    prompt = make_protocol("glm41v-pc", tips="Prefer the keyboard.").build_request(STEP).prompt
    assert prompt.startswith("You are a GUI operation agent.")
    assert packaged_text("glm41v_pc_actions.txt").splitlines()[0] in prompt
    assert "\n# Tips\nPrefer the keyboard.\n\n# Task\nOpen the menu.\n\n# History\nstep 1: " \
           "I click it.\nleft_click(start_box='[1,2]')\nMemory:\n[\"menu seen\"]\n" in prompt


@pytest.mark.parametrize(("text", "message"), [
    ("$task $history $memory $screen", "unknown placeholder(s) $screen"),
    ("$task and ${memory}", "missing required placeholder(s) $history"),
    ("$tsk $memory", "unknown placeholder(s) $tsk and missing required placeholder(s) "
                     "$history, $task"),
    ("$task $history $memory\ncosts 5$ a step", "a '$' that starts no placeholder (line 2)"),
])
def test_bad_templates_are_refused_naming_the_placeholders(text, message) -> None:
    with pytest.raises(ConfigError) as caught:
        make_protocol("glm41v-pc", prompt_template=text)
    assert message in str(caught.value)
    assert "$action_space, $history, $memory, $task, $tips" in str(caught.value)


def test_a_template_without_tips_refuses_a_run_with_tips() -> None:
    make_protocol("glm41v-pc", prompt_template=MINIMAL)  # fine without tips
    with pytest.raises(ConfigError, match=r"has no \$tips, but this run gives the model tips"):
        make_protocol("glm41v-pc", prompt_template=MINIMAL, tips="Type {{secret:PW}}.")


def test_unreadable_template_files_are_clear_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot read the prompt template"):
        read_template_file(tmp_path / "missing.txt")
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Aufgabe: $task \xe4".encode("latin-1"))
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        read_template_file(latin)


def test_prompt_show_prints_the_request_with_image_order_and_sizes(tmp_path) -> None:
    proc = guiagent("prompt", "show", "--protocol", "glm41v-pc", "--screenshot", "1000x600")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "coordinates: normalised 0-1000 of the screenshot" in out
    assert "$task (required): the task" in out
    images = [line for line in out.splitlines() if line.startswith("[image:")]
    assert images == ["[image: current screenshot, step 3, 1000x600 image/png]",
                      "[image: previous screenshot, step 1, 500x300 image/png]",
                      "[image: previous screenshot, step 2, 500x300 image/png]"]
    assert "# History\nstep 1: I click the Full name field.\n" \
           "left_click(start_box='[500,300]', element_info='Full name field')\nstep 2:" in out

    template = tmp_path / "mine.txt"
    template.write_text("MY PROMPT for $task\n$history\n$memory\n")
    proc = guiagent("prompt", "show", "--prompt-template", str(template))
    assert proc.returncode == 0, proc.stderr
    assert f"template: {template}" in proc.stdout
    assert "MY PROMPT for Fill the contact form" in proc.stdout
    assert "You are a GUI operation agent" not in proc.stdout

    template.write_text("MY PROMPT for $task $screen")
    proc = guiagent("prompt", "show", "--prompt-template", str(template))
    assert proc.returncode == 2
    assert "unknown placeholder(s) $screen" in " ".join(proc.stderr.split())


def test_cli_run_sends_the_users_template(tmp_path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><title>t</title><p>Hello</p>")
    template = tmp_path / "mine.txt"
    template.write_text("CUSTOM $task\n$history\n$memory\n$tips")
    with GlmModelServer([glm_answer("DONE()")]) as server:
        proc = guiagent("run", "Say hello.", "--url", page.as_uri(), "--model-url",
                        server.base_url, "--prompt-template", str(template), "--out",
                        str(tmp_path / "run"), timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert f"prompt template {template}" in proc.stderr
    assert server.requests[0].text.startswith("CUSTOM Say hello.")


def test_prompt_show_works_for_every_family() -> None:
    from typer.testing import CliRunner

    from guiagent.cli.main import app
    from guiagent.protocols.registry import available_protocols

    runner = CliRunner()  # in-process: one interpreter for every family
    for name in available_protocols():
        result = runner.invoke(app, ["prompt", "show", "--protocol", name])
        assert result.exit_code == 0, (name, result.output)
        assert f"protocol: {name} (" in result.output
        images = [line for line in result.output.splitlines() if line.startswith("[image:")]
        assert images[-1 if name != "glm41v-pc" else 0].startswith(
            "[image: current screenshot, step 3, 1280x720"), (name, images)


def test_every_family_checks_a_users_template_before_the_run() -> None:
    from guiagent.protocols.registry import available_protocols

    for name in available_protocols():
        with pytest.raises(ConfigError, match=r"unknown placeholder\(s\) \$nosuch"):
            make_protocol(name, prompt_template="$task $nosuch")
        with pytest.raises(ConfigError, match=r"missing required placeholder\(s\) [^;]*\$task"):
            make_protocol(name, prompt_template="no task here")
