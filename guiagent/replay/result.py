"""What a replay found: the records both replay modes return and write into run.json.

A replay's own run log is an ordinary run directory (``kind: "replay"``), so
``guiagent view`` shows it like any run; what is particular to a replay (the
source, the per-step comparison scores, the first divergence and its
evidence images) lives under ``run.json`` ``extra.replay`` as a
:class:`ReplayReport`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from PIL import Image
from pydantic import BaseModel

from ..imaging import encode_image
from ..runlog import Outcome, RunLog
from .diff import DiffResult, diff_image

MismatchKind = Literal["screenshot", "prompt", "action", "driver", "request_count", "outcome",
                       "log", "refused", "blind"]


class ReplayMismatch(BaseModel):
    """One way the replay differed from the recording."""

    step: int
    kind: MismatchKind
    detail: str
    score: float | None = None


class StepComparison(BaseModel):
    """How a fresh screenshot compared with the recorded one, before step ``step``."""

    step: int
    score: float
    mean: float
    diverged: bool = False
    evidence: dict[str, str] = {}
    """Files of the run directory: ``recorded``, ``replayed`` and ``diff`` images."""

    @classmethod
    def of(cls, step: int, result: DiffResult, diverged: bool) -> StepComparison:
        """Record one comparison."""
        return cls(step=step, score=result.score, mean=result.mean, diverged=diverged)


class ReplayReport(BaseModel):
    """The result of replaying a run."""

    source: str
    run_dir: str = ""
    mode: Literal["actions", "model-from-log"] = "actions"
    threshold: float
    reproduced: bool = False
    outcome: Outcome = "running"
    recorded_outcome: str = ""
    steps_replayed: int = 0
    diverged_at: int | None = None
    compared: list[StepComparison] = []
    mismatches: list[ReplayMismatch] = []
    summary: str = ""

    def comparison(self, step: int) -> StepComparison | None:
        """The comparison made before ``step``, if any."""
        return next((c for c in self.compared if c.step == step), None)


def save_evidence(log: RunLog, step: int, recorded: Path, fresh: Image.Image) -> dict[str, str]:
    """Keep both screenshots and their difference image in ``divergence/`` of the replay run."""
    prefix = f"divergence/step-{step:04d}"
    evidence: dict[str, str] = {}
    if recorded.is_file():
        evidence["recorded"] = log.save_file(f"{prefix}-recorded{recorded.suffix}",
                                             recorded.read_bytes())
        with Image.open(recorded) as old:
            difference = diff_image(old, fresh)
        evidence["diff"] = log.save_file(f"{prefix}-diff.png", encode_image(difference, "png"))
    evidence["replayed"] = log.save_file(f"{prefix}-replayed.png", encode_image(fresh, "png"))
    return {key: evidence[key] for key in ("recorded", "replayed", "diff") if key in evidence}
