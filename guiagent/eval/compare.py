"""``guiagent eval compare A B``: per-task differences between two results folders.

A difference in success rate counts as *beyond noise* when Fisher's exact test
on the task's 2x2 table (successes and failures in A and in B) gives a
two-sided p-value below 0.05. With one episode per task no single task can get
there (the smallest p is 1.0); run with ``--repeat`` to compare per task, and
read the overall line, which pools every episode, for the suite as a whole.
Infrastructure errors are left out of both sides: they say nothing about the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..cli.terminal import printable
from ..errors import ConfigError
from ..files import write_atomic
from .report import environment
from .results import RESULTS, read_results

ALPHA = 0.05


def fisher_exact(a_ok: int, a_n: int, b_ok: int, b_n: int) -> float:
    """Two-sided p-value of Fisher's exact test for the success counts of A and B."""
    ok, n = a_ok + b_ok, a_n + b_n
    if a_n == 0 or b_n == 0 or ok in (0, n):
        return 1.0

    def prob(x: int) -> float:  # P(A has x successes) under the null, margins fixed
        return math.comb(ok, x) * math.comb(n - ok, a_n - x) / math.comb(n, a_n)

    observed = prob(a_ok)
    lo, hi = max(0, a_n - (n - ok)), min(a_n, ok)
    return min(1.0, sum(p for x in range(lo, hi + 1) if (p := prob(x)) <= observed * (1 + 1e-7)))


@dataclass
class TaskDiff:
    """One task's figures on both sides."""

    task: str
    a_ok: int
    a_n: int
    b_ok: int
    b_n: int

    @property
    def a_rate(self) -> float | None:
        """Success rate in A (None: not run there)."""
        return self.a_ok / self.a_n if self.a_n else None

    @property
    def b_rate(self) -> float | None:
        """Success rate in B (None: not run there)."""
        return self.b_ok / self.b_n if self.b_n else None

    @property
    def delta(self) -> float | None:
        """B minus A."""
        if self.a_rate is None or self.b_rate is None:
            return None
        return self.b_rate - self.a_rate

    @property
    def p_value(self) -> float:
        """Fisher's exact test, two-sided."""
        return fisher_exact(self.a_ok, self.a_n, self.b_ok, self.b_n)

    @property
    def significant(self) -> bool:
        """Whether the difference is beyond noise (p < 0.05)."""
        return self.p_value < ALPHA


@dataclass
class Comparison:
    """Both folders' per-task figures and the pooled total."""

    a: Path
    b: Path
    tasks: list[TaskDiff]
    total: TaskDiff


def _counts(folder: Path) -> dict[str, tuple[int, int]]:
    if not (folder / RESULTS).exists():
        raise ConfigError(f"{folder} holds no {RESULTS}: give two folders written by guiagent eval")
    out: dict[str, tuple[int, int]] = {}
    for r in read_results(folder):
        if r.error_kind == "infra":
            continue
        ok, n = out.get(r.task, (0, 0))
        out[r.task] = (ok + r.success, n + 1)
    return out


def compare_results(a: Path, b: Path) -> Comparison:
    """Compare two results folders task by task."""
    ca, cb = _counts(Path(a)), _counts(Path(b))
    tasks = [TaskDiff(t, *ca.get(t, (0, 0)), *cb.get(t, (0, 0))) for t in sorted(set(ca) | set(cb))]
    total = TaskDiff("(all tasks)", sum(t.a_ok for t in tasks), sum(t.a_n for t in tasks),
                     sum(t.b_ok for t in tasks), sum(t.b_n for t in tasks))
    return Comparison(Path(a), Path(b), tasks, total)


def _rate(ok: int, n: int) -> str:
    return f"{ok}/{n} ({ok / n:.0%})" if n else "-"


def print_comparison(c: Comparison, console: Console) -> None:
    """A table of the tasks whose figures differ, then the pooled total."""
    table = Table(title=Text(printable(f"A = {c.a}   B = {c.b}")), title_justify="left")
    table.add_column("task", overflow="fold")
    for col in ("A", "B", "change", "p (Fisher)", ""):
        table.add_column(col, no_wrap=True)
    for t in [*c.tasks, c.total]:
        if t is not c.total and t.delta == 0:
            continue
        delta = "-" if t.delta is None else f"{t.delta:+.0%}"
        table.add_row(Text(printable(t.task)), _rate(t.a_ok, t.a_n), _rate(t.b_ok, t.b_n), delta,
                      f"{t.p_value:.3g}", "beyond noise" if t.significant else "within noise")
    console.print(table)
    same = sum(1 for t in c.tasks if t.delta == 0)
    console.print(f"{same} task(s) unchanged; differences are beyond noise when Fisher's exact "
                  f"test gives p < {ALPHA}")


def write_comparison(c: Comparison, target: Path) -> Path:
    """Render the comparison page."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(target, environment().get_template("compare.html.j2").render(
        c=c, alpha=ALPHA))
