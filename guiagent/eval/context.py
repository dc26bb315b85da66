"""What an episode's setup steps and checks see: :class:`EpisodeContext`.

One object per episode, filled in as the episode goes: the environment sets
the sandbox URL, database and live page; the agent's run sets the outcome,
answer and final URL. Checks run while the browser is still open, so ``page``
is the live Playwright page the agent left behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from .tasks import Task


class CheckResult(BaseModel):
    """One check's verdict and its evidence: what it expected and what it found."""

    kind: str
    passed: bool
    expected: Any = None
    found: Any = None
    message: str = ""


@dataclass
class EpisodeContext:
    """The state of one episode, for setup steps, checks and custom Python functions."""

    task: Task
    repeat: int
    run_dir: Path
    work_dir: Path
    instruction: str = ""
    sandbox_url: str | None = None
    db_path: Path | None = None
    downloads_dir: Path | None = None
    page: Any = None
    """The live Playwright page (browser episodes), still open while checks run."""
    display: str | None = None
    """The X display of a desktop episode."""
    final_url: str | None = None
    answer: str | None = None
    outcome: str | None = None
    steps: int = 0
    env: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.instruction:
            self.instruction = self.task.instruction

    def expand(self, text: str) -> str:
        """Fill ``{sandbox}`` and ``{work}`` in a task's string (plain replace: regexes keep their braces)."""
        if "{sandbox}" in text:
            if not self.sandbox_url:
                from ..errors import ConfigError

                raise ConfigError(f"task {self.task.id!r} uses {{sandbox}} but no web sandbox runs "
                                  "for it")
            text = text.replace("{sandbox}", self.sandbox_url)
        return text.replace("{work}", str(self.work_dir))

    def work_file(self, rel: str) -> Path:
        """A path inside the work folder; refuses paths that lead outside it (hostile task files)."""
        path = (self.work_dir / self.expand(rel)).resolve()
        if not path.is_relative_to(self.work_dir.resolve()):
            from ..errors import ConfigError

            raise ConfigError(f"{rel!r} leads outside the episode's work folder")
        return path
