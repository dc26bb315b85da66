"""Whole runs started from a tool session: an agent task, a skill, and the list of runs.

A task or skill runs on the session's own driver (same page or desktop, same
guard, same secrets) and writes its own run folder under the session's runs
root, with its report; the session's log gets one ``tool`` step pointing at it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..agent import Agent, AgentConfig, AgentHooks, RunResult
from ..errors import ConfigError, GuiAgentError
from ..hooks import StepControl, StopRun
from ..runlog import ErrorInfo, StepRecord
from .session import ToolSession, new_run_dir


class StepProgress(AgentHooks):
    """Passes each finished (redacted) step of a delegated run to ``report``."""

    def __init__(self, report: Callable[[StepRecord], None]) -> None:
        self.report = report

    def on_step_end(self, step: StepRecord) -> None:
        """Report the step."""
        self.report(step)


class CancelWatch(AgentHooks):
    """Ends a delegated agent run before its next step once the caller has given up.

    The run's current step finishes (an action half done would be worse); the run
    ends as ``interrupted`` and frees the driver for the next call.
    """

    def __init__(self) -> None:
        self.cancelled = threading.Event()

    def between_steps(self, control: StepControl) -> None:
        """Stop the run if the caller cancelled it."""
        if self.cancelled.is_set():
            raise StopRun("interrupted", "the MCP client cancelled the call")


def run_task(session: ToolSession, task: str, max_steps: int = 30, *,
             hooks: Sequence[AgentHooks] = ()) -> dict[str, Any]:
    """The agent loop on the session's driver until the task ends; its outcome and folder."""
    model = session.need_model("run_task")
    s = session.settings
    config = AgentConfig(run_dir=new_run_dir(s.runs_root, "task"), max_steps=max_steps,
                         image_format=s.image_format, jpeg_quality=s.jpeg_quality,
                         max_image_pixels=s.max_image_pixels, handle_signals=False)
    agent = Agent(session.driver, model, protocol=session.protocol, config=config,
                  hooks=[session.guard, *hooks])
    result = agent.run(task)
    return _delegated(session, f"run_task({task!r}, max_steps={max_steps})", result)


def run_skill(session: ToolSession, name: str, params: dict[str, Any] | None = None, *,
              hooks: Sequence[AgentHooks] = ()) -> dict[str, Any]:
    """Run a skill (a name on the skill path, or a .yaml file) on the session's driver."""
    from ..skills import SkillRunConfig, SkillRunner

    s = session.settings
    skill = caller_skill(name, s.skill_paths)
    runner = SkillRunner(session.driver, session.model, protocol=session.protocol,
                         config=SkillRunConfig(run_dir=new_run_dir(s.runs_root, "skill"),
                                               image_format=s.image_format,
                                               jpeg_quality=s.jpeg_quality),
                         hooks=[session.guard, *hooks])
    result = runner.run(skill, params or {})
    return _delegated(session, f"run_skill({skill.name!r})", result)


def caller_skill(name: str, skill_paths: list[Path]) -> Any:
    """The skill a caller names: a name on the skill path, or a skill file inside one of its
    folders. A caller's path is a file on this machine: one elsewhere is not read at all
    (its error would tell the caller what the file holds)."""
    from ..skills import find_skill
    from ..skills.library import SKILL_SUFFIXES, search_path

    candidate = Path(name)
    if candidate.suffix in SKILL_SUFFIXES or candidate.exists() or len(candidate.parts) > 1:
        folders = search_path(skill_paths)
        inside = any(candidate.resolve().is_relative_to(f.resolve()) for f in folders)
        if candidate.suffix not in SKILL_SUFFIXES or not inside:
            raise ConfigError(f"run_skill reads skill files only from the skill folders "
                              f"({', '.join(str(f) for f in folders) or 'none'}): give a skill "
                              "name, or start the server with --skills DIR")
    return find_skill(name, skill_paths)


def _delegated(session: ToolSession, call: str, result: RunResult) -> dict[str, Any]:
    """Write the run's report, note it in the session's log, and summarise it (redacted)."""
    report = None
    try:
        from ..replay import write_report

        report = str(write_report(result.run_dir))
    except GuiAgentError:  # the run's log is complete; the report is a convenience
        pass
    record = result.record
    log = session.run_log
    step = StepRecord(index=len(log.steps) + 1, started_at=record.started_at, actor="tool",
                      call=call, result=f"outcome {record.outcome}",
                      extra={"run_folder": str(result.run_dir)})
    if record.error is not None:
        step.error = ErrorInfo(type=record.error.type, message=record.error.message)
    log.append_step(step)
    summary = {"outcome": record.outcome, "answer": record.answer,
               "run_folder": str(result.run_dir.resolve()), "report": report,
               "steps": record.totals.steps, "seconds": record.totals.seconds,
               "error": f"{record.error.type}: {record.error.message}" if record.error else None}
    return session.run_log.redactor.data(summary)


def list_runs(root: Path, limit: int = 20) -> list[dict[str, Any]]:
    """The newest ``limit`` runs under ``root``, newest first (folders that cannot be read skipped)."""
    from ..replay import list_runs as listing

    runs = listing(root).runs[::-1][:max(0, limit)]
    return [{"run_folder": str(r.path.resolve()), "kind": r.kind, "task": r.task,
             "outcome": r.outcome, "steps": r.steps, "seconds": r.seconds,
             "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started_at))}
            for r in runs]
