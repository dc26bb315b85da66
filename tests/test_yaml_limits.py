"""Task suites and policy files are bounded YAML too: an alias bomb is refused, not built."""

from __future__ import annotations

import pytest

from guiagent.errors import ConfigError, TaskFileError
from guiagent.eval.tasks import parse_tasks
from guiagent.guard import GuardPolicy


def bomb_values(levels: int) -> list[str]:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    return lines + [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]


def test_task_file_alias_bomb_refused_with_its_line():
    text = "- id: bomb\n  instruction: x\n  url: http://127.0.0.1:9/\n  evaluate: [{infeasible: true}]\n"
    text += "  extra:\n" + "\n".join("    " + line for line in bomb_values(6))
    assert len(text) < 600
    with pytest.raises(TaskFileError, match=r"suite.yaml:\d+: the YAML expands to more than"):
        parse_tasks(text, "suite.yaml")
    with pytest.raises(TaskFileError, match="refers to the value that contains it"):
        parse_tasks("- &t\n  id: x\n  extra: *t\n", "suite.yaml")


def test_policy_file_alias_bomb_refused(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("\n".join(bomb_values(6)) + "\nconfirm_patterns: []\n")
    with pytest.raises(ConfigError, match="expands to more than"):
        GuardPolicy.load(path)
    path.write_text("confirm_patterns: [Buy]\n")
    assert GuardPolicy.load(path).confirm_patterns == ["Buy"]
