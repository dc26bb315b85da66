#!/usr/bin/env python3
"""Chaos hunt: N seeded agent runs against a model server failing at random.

    .venv/bin/python scripts/chaos.py --runs 1000 [--seed 1] [--keep DIR]

Every fault class of guiagent.testing.faults is injected; the page echoes the
secret in its URL and title. Prints the figures (crashes, unreadable logs,
files holding the secret in any encoding, other violations) and exits 1 if any
is not zero or a fault class was never injected. See guiagent/testing/chaos.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from guiagent.testing.chaos import every_fault_covered, run_chaos


def main() -> int:
    """Run the hunt; the exit status says whether it found nothing."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000, help="how many runs (default 1000)")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--keep", type=Path, help="keep the run folders here")
    args = parser.parse_args()

    def progress(done: int, stats) -> None:  # noqa: ANN001
        if done % 50 == 0 or done == args.runs:
            print(f"{done}/{args.runs} runs, {len(stats.crashes)} crashes, "
                  f"{len(stats.unreadable)} unreadable, {len(stats.secret_leaks)} leaks, "
                  f"{len(stats.violations)} violations", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="guiagent-chaos-") as tmp:
        root = args.keep or Path(tmp)
        stats = run_chaos(args.runs, args.seed, root, progress)
    print(stats.summary(args.seed))
    for finding in [*stats.crashes, *stats.unreadable, *stats.secret_leaks, *stats.violations][:20]:
        print("  " + finding.strip().replace("\n", "\n    "))
    covered = every_fault_covered(stats)
    if not covered:
        print("not every fault class was injected; run more")
    bad = stats.crashes or stats.unreadable or stats.secret_leaks or stats.violations
    return 1 if bad or not covered else 0


if __name__ == "__main__":
    sys.exit(main())
