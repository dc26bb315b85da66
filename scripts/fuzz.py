#!/usr/bin/env python3
"""Fuzz hunt: the answer parser and the skill loader, each with at least N generated inputs.

    .venv/bin/python scripts/fuzz.py --inputs 100000 [--target parser|skills|all]

Runs the hypothesis properties of tests/test_parser_fuzz.py (parse_answer gives
an action or a ModelResponseError) and tests/test_skill_fuzz.py (parse_skill
gives a Skill or a SkillFileError; templates render or raise SkillStepError),
sharing the inputs among each target's properties, and prints how many inputs
each property really ran (hypothesis' statistics) and whether any raised an
unexpected exception. Exit status 0 only when none did.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    # target: (test file, properties that share the inputs)
    "parser": ("tests/test_parser_fuzz.py",
               ["test_any_text", "test_near_valid_answers", "test_mutated_answers"]),
    "skills": ("tests/test_skill_fuzz.py",
               ["test_any_text", "test_mutated_bundled_skills", "test_structured_skills"]),
}
_HEADER = re.compile(r"(?m)^tests/\S+::(\w+):\s*$")
_PASSING = re.compile(r"- (\d+) passing, (\d+) failing")


def _counts(stdout: str) -> dict[str, int]:
    """Passing inputs per property, from hypothesis' statistics (all phases)."""
    parts = _HEADER.split(stdout)
    return {name: sum(int(p) for p, _ in _PASSING.findall(block))
            for name, block in zip(parts[1::2], parts[2::2], strict=True)}


def hunt(target: str, inputs: int) -> tuple[bool, dict[str, int], float]:
    """Run one target's properties; return (passed, inputs run per property, seconds)."""
    path, properties = TARGETS[target]
    per_property = math.ceil(inputs / len(properties))
    env = {**os.environ, "GUIAGENT_FUZZ_EXAMPLES": str(per_property)}
    selected = " or ".join(properties)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", path, "-q", "-p", "no:cacheprovider", "-k", selected,
         "--timeout", "0",  # a hunt runs as long as it takes
         "--hypothesis-show-statistics"],
        cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    counts = _counts(proc.stdout)
    if proc.returncode != 0:
        print(proc.stdout[-6000:], proc.stderr[-2000:], sep="\n")
    return proc.returncode == 0, counts, seconds


def main() -> int:
    """Hunt each target; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000,
                        help="inputs per target, shared among its properties (default 100000)")
    parser.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    args = parser.parse_args()
    ok = True
    for target in TARGETS if args.target == "all" else [args.target]:
        passed, counts, seconds = hunt(target, args.inputs)
        total = sum(counts.values())
        print(f"fuzz {target}: {total} inputs in {seconds:.0f}s "
              f"({', '.join(f'{k} {v}' for k, v in counts.items())}); "
              f"{'0 unexpected exceptions' if passed else 'FAILED: see above'}", flush=True)
        ok = ok and passed and total >= args.inputs
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
