"""Replaceable prompt templates of ui-tars, qwen25vl, qwen3vl and json: checked, used, shown."""

import subprocess
import sys

import pytest

from guiagent.errors import ConfigError
from guiagent.geometry import Size
from guiagent.protocols.base import HistoryEntry, StepInput
from guiagent.protocols.registry import make_protocol
from guiagent.protocols.templates import packaged_text

SHOT = Size(width=1280, height=720)
STEP = StepInput("Send the form.", "data:image/png;base64,AA", SHOT,
                 [HistoryEntry("Thought: t\nAction: click(start_box='(1,2)')")], ["seen"])
MINIMAL = {
    "ui-tars": "Output `Thought:` then `Action:`.\nTask: $task\n",
    "qwen25vl": "Tools:\n$tools\n=== user ===\nQuery: $task\nDone: $history\n",
    "qwen3vl": "Tools:\n$tools\n=== user ===\nQuery: $task\nEarlier: $history\n",
    "json": "Task: $task\nHistory:\n$history\n",
}
FAMILIES = list(MINIMAL)


def user_texts(request):
    return "\n".join(p["text"] for m in request.messages if m["role"] == "user"
                     and not isinstance(m["content"], str)
                     for p in m["content"] if p["type"] == "text")


@pytest.mark.parametrize("family", FAMILIES)
def test_the_packaged_template_is_the_one_used(family):
    protocol = make_protocol(family)
    assert protocol.template_file.endswith(".txt")
    assert packaged_text(protocol.template_file)
    names = {p.name for p in protocol.placeholders}
    assert "task" in names and "tips" in names


@pytest.mark.parametrize("family", FAMILIES)
def test_a_users_template_replaces_the_text(family):
    request = make_protocol(family, prompt_template=MINIMAL[family]).build_request(STEP)
    text = user_texts(request)
    assert "Send the form." in text
    packaged = {"ui-tars": "## Action Space", "json": "# Actions"}.get(family, "# Tools")
    assert packaged not in str(request.messages)  # the packaged wording is gone
    if family.startswith("qwen"):
        assert request.messages[0]["content"].startswith('Tools:\n{"type": "function"')


@pytest.mark.parametrize("family", FAMILIES)
def test_unknown_and_missing_placeholders_are_named(family):
    with pytest.raises(ConfigError, match=r"unknown placeholder\(s\) \$screen"):
        make_protocol(family, prompt_template=MINIMAL[family] + "$screen\n")
    with pytest.raises(ConfigError, match=r"missing required placeholder\(s\) \$task"):
        make_protocol(family, prompt_template=MINIMAL[family].replace("$task", "the task"))
    with pytest.raises(ConfigError, match=r"has no \$tips"):
        make_protocol(family, prompt_template=MINIMAL[family], tips="Type {{secret:PW}}.")


def test_a_qwen_template_needs_both_parts():
    with pytest.raises(ConfigError, match="needs a line '=== user ==='"):
        make_protocol("qwen25vl", prompt_template="$tools $task $history")


@pytest.mark.parametrize("family", FAMILIES)
def test_prompt_show_prints_the_familys_request(family, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "prompt", "show",
                           "--protocol", family], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert make_protocol(family).template_file in proc.stdout
    assert "$task" in proc.stdout
    template = tmp_path / "mine.txt"
    template.write_text(MINIMAL[family] + "$nope\n", encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "prompt", "show",
                          "--protocol", family, "--prompt-template", str(template)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "$nope" in bad.stderr
