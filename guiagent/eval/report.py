"""``report.html`` of a results folder: success by task with confidence intervals, filters, links.

The page is self-contained (inline CSS and script) and links to each
episode's own run report by relative path, so the folder can be moved or
served as it is. Task ids, answers and check evidence come from task files and
the model: untrusted text, rendered through an autoescaping Jinja2 template.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..files import write_atomic
from ..tokens import usd
from .episode import EpisodeResult
from .results import SUMMARY, read_results, summarize

REPORT_NAME = "report.html"


@dataclass
class EpisodeView:
    """One episode's link and badge."""

    result: EpisodeResult
    href: str | None


@dataclass
class TaskRow:
    """One row of the table: a task's figures and its episodes."""

    task: str
    figures: dict[str, Any]
    episodes: list[EpisodeView]

    @property
    def status(self) -> str:
        """``pass`` (all succeeded), ``fail`` (none), ``mixed``."""
        k, n = self.figures["succeeded"], self.figures["episodes"]
        return "pass" if k == n else ("fail" if k == 0 else "mixed")


@functools.cache
def environment() -> Environment:
    """The template environment (autoescaping everything; one per process)."""
    env = Environment(loader=PackageLoader("guiagent.eval", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda x: f"{100 * x:.0f}%"
    env.filters["usd"] = usd
    env.filters["tojson_pretty"] = lambda x: json.dumps(x, ensure_ascii=False, indent=1)[:3000]
    return env


def _href(out_dir: Path, result: EpisodeResult) -> str | None:
    """The episode's run report, relative to the results folder (None when missing or outside)."""
    if not result.run_dir:
        return None
    page = (out_dir / result.run_dir / "report.html")
    if not page.resolve().is_relative_to(out_dir.resolve()) or not page.is_file():
        return None
    return Path(result.run_dir, "report.html").as_posix()


def render_eval_report(out_dir: Path) -> str:
    """The HTML of a results folder's report."""
    results = read_results(out_dir)
    path = out_dir / SUMMARY
    summary = json.loads(path.read_text(encoding="utf-8")) if path.exists() else summarize(results)
    by_task: dict[str, list[EpisodeResult]] = {}
    for r in sorted(results, key=lambda r: (r.task, r.repeat)):
        by_task.setdefault(r.task, []).append(r)
    rows = [TaskRow(task, summary["per_task"].get(task) or summarize(rs)["per_task"][task],
                    [EpisodeView(r, _href(out_dir, r)) for r in rs])
            for task, rs in by_task.items()]
    tags = sorted({t for r in results for t in r.tags})
    return environment().get_template("eval_report.html.j2").render(
        summary=summary, rows=rows, tags=tags, name=out_dir.resolve().name)


def write_eval_report(out_dir: Path) -> Path:
    """Write ``report.html`` into the results folder; return its path."""
    target = out_dir / REPORT_NAME
    return write_atomic(target, render_eval_report(out_dir))  # never through a link
