"""Finding the runs in a directory, for ``guiagent runs``."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from ..errors import LogFormatError
from ..runlog import RunRecord, read_run, shown_outcome


class RunSummary(BaseModel):
    """One line of the run list."""

    path: Path
    kind: str
    task: str
    outcome: str
    steps: int
    seconds: float
    started_at: float
    tokens: int = 0
    #: USD at the run's recorded price (None: no price was given).
    cost_usd: float | None = None


class RunListing(BaseModel):
    """The runs found, and the run-looking directories that could not be read."""

    runs: list[RunSummary] = []
    unreadable: list[str] = []


def summarize(path: Path, record: RunRecord, steps: int) -> RunSummary:
    """The summary of one read run."""
    return RunSummary(path=path, kind=record.kind, task=record.task, outcome=shown_outcome(record),
                      steps=steps, seconds=record.totals.seconds, started_at=record.started_at,
                      tokens=record.totals.usage.total_tokens, cost_usd=record.totals.cost_usd)


def list_runs(root: str | Path) -> RunListing:
    """Every run directory directly under ``root`` (oldest first); others are skipped.

    A directory counts as a run when it holds ``run.json``; one whose log cannot
    be read is listed in ``unreadable`` with the reason, not silently dropped.
    """
    root = Path(root)
    listing = RunListing()
    if not root.is_dir():
        return listing
    for path in sorted(p for p in root.iterdir() if p.is_dir()):
        if not (path / "run.json").is_file():
            continue
        try:
            record, steps = read_run(path)
        except LogFormatError as exc:
            listing.unreadable.append(str(exc))
            continue
        listing.runs.append(summarize(path, record, len(steps)))
    listing.runs.sort(key=lambda run: run.started_at)
    return listing
