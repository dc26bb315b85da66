"""The side-by-side benchmark runs (tiny counts; its figures are not checked here)."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]


def test_side_by_side_prints_a_row_per_contender(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "step_overhead.py"), "--side-by-side",
         "--episodes", "1", "--viewports", "1280x720", "--contenders", "guiagent,bare-jpeg",
         "--json", str(tmp_path / "gaps.json")],
        capture_output=True, text=True, timeout=600, check=True).stdout
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert rows["guiagent"][1] == "9" and rows["bare-jpeg"][1] == "9"  # 10 model calls, 9 gaps
    assert (tmp_path / "gaps.json").exists()
    assert "guiagent, net of page load: p50" in out
