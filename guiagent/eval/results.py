"""The results folder: results.jsonl (append-only), summary.json, and what --resume needs.

``results.jsonl`` gets one line per finished episode, written by the driver
process only, flushed and fsync'ed before the next one is accepted, so a crash
or SIGKILL loses at most the line being written. Reading tolerates that torn
last line, and :func:`repair_tail` cuts it off before new lines are appended.
A later line for the same (task, repeat) replaces an earlier one: that is how
``--resume`` re-runs episodes that ended in an infrastructure error.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import LogFormatError
from ..files import write_atomic
from ..tokens import total_split
from .episode import EpisodeResult

RESULTS, SUMMARY = "results.jsonl", "summary.json"


def repair_tail(path: Path) -> bool:
    """Cut a torn last line (no newline at the end); True when something was cut."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with open(path, "rb+") as f:
        data = f.read()
        if data.endswith(b"\n"):
            return False
        f.truncate(data.rfind(b"\n") + 1)
    return True


def read_results(out_dir: Path) -> list[EpisodeResult]:
    """The latest result of every episode (results.jsonl order); a torn last line is skipped."""
    path = out_dir / RESULTS
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    latest: dict[tuple[str, int], EpisodeResult] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            result = EpisodeResult.model_validate_json(line)
        except ValidationError as exc:
            if number == len(lines) and not text.endswith("\n"):
                break  # torn by a crash while writing
            raise LogFormatError(f"{path}:{number}: not an episode result ({exc.errors()[0]['msg']})") \
                from exc
        latest.pop((result.task, result.repeat), None)
        latest[(result.task, result.repeat)] = result
    return list(latest.values())


class ResultsWriter:
    """Appends results to results.jsonl, one durable line per episode."""

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / RESULTS
        repair_tail(self.path)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def write(self, result: EpisodeResult) -> None:
        """Append one line and make it durable."""
        self._file.write(result.model_dump_json() + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a success rate (95% by default); (0, 1) for no episodes."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _figures(results: list[EpisodeResult]) -> dict[str, Any]:
    n = len(results)
    k = sum(r.success for r in results)
    lo, hi = wilson(k, n)
    return {"episodes": n, "succeeded": k, "success_rate": round(k / n, 4) if n else 0.0,
            "ci95": [round(lo, 4), round(hi, 4)],
            "infra_errors": sum(r.error_kind == "infra" for r in results),
            "mean_steps": round(sum(r.steps for r in results) / n, 2) if n else 0.0,
            "mean_seconds": round(sum(r.seconds for r in results) / n, 2) if n else 0.0,
            **_cost(results)}


def _cost(results: list[EpisodeResult]) -> dict[str, Any]:
    """USD of these episodes, in total and per episode (None when none was priced)."""
    priced = [r.cost_usd for r in results if r.cost_usd is not None]
    if not priced:
        return {"cost_usd": None, "mean_cost_usd": None}
    return {"cost_usd": round(sum(priced), 6), "mean_cost_usd": round(sum(priced) / len(priced), 6)}


def summarize(results: list[EpisodeResult], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """summary.json's content: totals, per task, per tag, failure categories."""
    by_task: dict[str, list[EpisodeResult]] = defaultdict(list)
    by_tag: dict[str, list[EpisodeResult]] = defaultdict(list)
    for r in results:
        by_task[r.task].append(r)
        for tag in r.tags:
            by_tag[tag].append(r)
    total = _figures(results)
    clean = [r for r in results if r.error_kind != "infra"]
    total["success_rate_without_infra"] = _figures(clean)["success_rate"]
    total["tokens"] = sum(r.tokens for r in results)
    total["token_split"] = total_split(r.token_split for r in results).model_dump()
    total["seconds"] = round(sum(r.seconds for r in results), 2)
    return {
        **(meta or {}), **total,
        "failure_categories": dict(Counter(r.category or "unknown" for r in results
                                           if not r.success).most_common()),
        "per_task": {task: _figures(rs) | {"tags": rs[0].tags}
                     for task, rs in sorted(by_task.items())},
        "per_tag": {tag: _figures(rs) for tag, rs in sorted(by_tag.items())},
    }


def write_summary(out_dir: Path, results: list[EpisodeResult],
                  meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write summary.json (atomically) and return it."""
    summary = summarize(results, meta)
    write_atomic(out_dir / SUMMARY, json.dumps(summary, indent=2, ensure_ascii=False))
    return summary
