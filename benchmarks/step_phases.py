"""Where guiagent's browser step spends its time, step by step: the tail hunt of issue 11.

Runs the side-by-side benchmark's guiagent episodes (same page, task and instant fake
model, ``step_gap_server.py``) and prints, per step of the 10-step task, the gap (model
answer -> next request, by the model server's clock) next to the phases the run log
recorded (``steps.jsonl`` timings: execute = act + settle, capture, encode, ...), as the
median over episodes, and the slowest gaps with their phases. A gap minus its recorded
phases is what the loop did outside them (log write, thumbnails, hooks, request build).

Usage: python benchmarks/step_phases.py [--episodes 5] [--viewport 1280x720]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from step_side_by_side import FIELDS, GapServer, glm_script, run_guiagent  # noqa: E402

PHASES = ("execute", "capture", "encode")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--viewport", default="1280x720")
    args = parser.parse_args()
    server = GapServer()
    rows: list[tuple[int, float, dict[str, float]]] = []  # (step, gap, phases of that gap)
    try:
        script = glm_script(server.sandbox_url + "/contact", args.viewport)
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.episodes):
                server.script(script)
                run = run_guiagent(server, args.viewport, Path(tmp))
                gaps = server.gaps()
                steps = [json.loads(line) for line in (run / "steps.jsonl").read_text().splitlines()]
                for i, gap in enumerate(gaps):
                    # the gap after step i's answer: step i's execute, step i+1's capture/encode
                    now, after = steps[i].get("timings", {}), steps[i + 1].get("timings", {})
                    rows.append((i, gap, {"execute": now.get("execute", 0.0),
                                          "capture": after.get("capture", 0.0),
                                          "encode": after.get("encode", 0.0),
                                          "page_load": now.get("page_load", 0.0)}))
    finally:
        server.close()
    load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(f"guiagent at {args.viewport}, {args.episodes} episodes, ms (median per step); load {load}")
    print(f"{'step':<24}{'gap':>8}" + "".join(f"{p:>9}" for p in PHASES) + f"{'rest':>8}"
          + f"{'page_load':>11}")
    for i in sorted({r[0] for r in rows}):
        mine = [r for r in rows if r[0] == i]
        gap = statistics.median(r[1] for r in mine) * 1000
        med = {p: statistics.median(r[2][p] for r in mine) * 1000 for p in PHASES}
        label = " ".join(FIELDS[i])[:22]
        load_ms = statistics.median(r[2]["page_load"] for r in mine) * 1000
        print(f"{label:<24}{gap:>8.1f}" + "".join(f"{med[p]:>9.1f}" for p in PHASES)
              + f"{gap - sum(med.values()):>8.1f}{load_ms:>11.1f}")
    gaps = sorted(r[1] for r in rows)
    p50, p95 = statistics.median(gaps), gaps[min(len(gaps) - 1, round(0.95 * (len(gaps) - 1)))]
    print(f"\nall gaps: p50 {p50 * 1000:.1f}  p95 {p95 * 1000:.1f}  p95/p50 {p95 / p50:.2f}")
    net = sorted(r[1] - r[2]["page_load"] for r in rows)
    n50, n95 = statistics.median(net), net[min(len(net) - 1, round(0.95 * (len(net) - 1)))]
    print(f"net of page load: p50 {n50 * 1000:.1f}  p95 {n95 * 1000:.1f}  p95/p50 {n95 / n50:.2f}")
    print("slowest gaps net of page load (part of execute: page_load):")
    for i, gap, phases in sorted(rows, key=lambda r: r[2]["page_load"] - r[1])[:8]:
        print(f"  {' '.join(FIELDS[i])[:22]:<24}{(gap - phases['page_load']) * 1000:>8.1f}  "
              + "  ".join(f"{p} {v * 1000:.1f}" for p, v in phases.items()))


if __name__ == "__main__":
    main()
