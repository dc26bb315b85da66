"""The agent loop: observe, ask, parse, act, record; until the task ends.

Errors split in two (as in smolagents): the model's faults (an unreadable
answer, a refused action) are recorded on the step and shown to the model;
ours and the environment's (server unreachable, driver broken) end the run
with a clear outcome. Either way the run log is complete up to that point.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .actions import Action, Answer, Done, Fail
from .drivers.base import ActionResult, Driver, Observation
from .errors import ActionRefusedError, DriverError, GuiAgentError, ModelError, ModelResponseError
from .imaging import data_url, encode_image, half_size
from .model import ModelClient
from .protocols.base import HistoryEntry, ProtocolAdapter
from .protocols.glm41v_parse import ParsedAnswer
from .protocols.glm41v_pc import Glm41vPcProtocol
from .runlog import Attempt, ErrorInfo, Outcome, RequestSummary, RunLog, RunRecord, StepRecord


class AgentConfig(BaseModel):
    """Budgets and knobs of one run."""

    max_steps: int = Field(default=30, ge=1)
    max_seconds: float | None = Field(default=None, gt=0)
    max_reasks: int = Field(default=2, ge=0)
    image_format: str = "jpeg"
    jpeg_quality: int = Field(default=85, ge=1, le=100)
    max_image_pixels: int | None = None
    run_dir: Path | None = None
    runs_root: Path = Path("runs")


class AgentHooks:
    """Override any of these to watch or steer a run; raise ActionRefusedError to refuse."""

    def on_step_start(self, index: int, observation: Observation) -> None:
        """A step begins with this observation."""

    def before_action(self, step: StepRecord, action: Action, observation: Observation) -> None:
        """The action is about to run; raise ActionRefusedError to stop it."""

    def after_action(self, step: StepRecord, result: ActionResult) -> None:
        """The action ran."""

    def on_step_end(self, step: StepRecord) -> None:
        """The step is recorded."""


@dataclass
class RunResult:
    """What :meth:`Agent.run` returns."""

    outcome: Outcome
    run_dir: Path
    record: RunRecord
    steps: list[StepRecord]
    answer: str | None = None
    error: BaseException | None = None

    @property
    def succeeded(self) -> bool:
        """True when the model reported the task done (or answered it)."""
        return self.outcome in ("done", "answered")


class Agent:
    """Runs one task on one driver with one model."""

    def __init__(self, driver: Driver, model: ModelClient, *, protocol: ProtocolAdapter | None = None,
                 config: AgentConfig | None = None, hooks: list[AgentHooks] | None = None) -> None:
        self.driver = driver
        self.model = model
        self.protocol = protocol or Glm41vPcProtocol()
        self.config = config or AgentConfig()
        self.hooks = list(hooks or [])

    def new_log(self, task: str) -> RunLog:
        """Create the run directory and run.json."""
        run_dir = self.config.run_dir or self.config.runs_root / (
            time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6])
        record = RunRecord(
            task=task, protocol=self.protocol.name, driver=self.driver.describe(),
            model={"base_url": self.model.settings.base_url, "name": self.model.settings.model},
        )
        return RunLog(run_dir, record)

    def run(self, task: str) -> RunResult:
        """Run until DONE/FAIL/answer, a budget runs out, or an error ends it."""
        log = self.new_log(task)
        history: list[HistoryEntry] = []
        memory: Any = []
        outcome: Outcome = "max_steps"
        answer: str | None = None
        error: BaseException | None = None
        started = time.monotonic()
        try:
            self.driver.start()
            for index in range(1, self.config.max_steps + 1):
                if self.config.max_seconds and time.monotonic() - started > self.config.max_seconds:
                    outcome = "max_time"
                    break
                step, parsed, obs = self._step(index, task, history, memory, log)
                if parsed is None:  # the model never gave a usable answer
                    outcome, error = "error", ModelResponseError(step.error.message if step.error else "")
                    break
                memory = parsed.memory if parsed.memory is not None else memory
                if isinstance(parsed.action, Done | Fail | Answer):
                    outcome = {"DONE": "done", "FAIL": "failed", "answer": "answered"}[
                        parsed.action.action]
                    answer = getattr(parsed.action, "content", None)
                    break
                history.append(HistoryEntry(
                    answer_text=parsed.answer_text, note=_note(step),
                    thumbnail_url=self._thumbnail(obs)))
        except KeyboardInterrupt as exc:
            outcome, error = "interrupted", exc
        except (ModelError, DriverError, GuiAgentError) as exc:
            outcome, error = "error", exc
        finally:
            record = log.finish(outcome, answer=answer, error=error)
        return RunResult(outcome=outcome, run_dir=log.dir, record=record, steps=log.steps,
                         answer=answer, error=error)

    def _step(self, index: int, task: str, history: list[HistoryEntry], memory: Any,
              log: RunLog) -> tuple[StepRecord, ParsedAnswer | None, Observation]:
        cfg, timings = self.config, {}
        step = StepRecord(index=index, started_at=time.time())
        t0 = time.perf_counter()
        obs = self.driver.observe().fitted(cfg.max_image_pixels)
        timings["capture"] = time.perf_counter() - t0
        for hook in self.hooks:
            hook.on_step_start(index, obs)
        t0 = time.perf_counter()
        data, mime = obs.encoded(cfg.image_format, cfg.jpeg_quality)
        image_url = data_url(data, mime)
        timings["encode"] = time.perf_counter() - t0
        step.screenshot = log.save_screenshot(index, data, obs.extension)
        step.frame, step.url, step.title = obs.frame, obs.url, obs.title
        parsed: ParsedAnswer | None = None
        correction: str | None = None
        try:
            for _ in range(cfg.max_reasks + 1):
                t0 = time.perf_counter()
                request = self.protocol.build_request(task, image_url, history, memory,
                                                      correction=correction)
                timings["request_build"] = timings.get("request_build", 0) + time.perf_counter() - t0
                step.request = RequestSummary(prompt=request.prompt, images=request.images,
                                              image_bytes=len(data))
                t0 = time.perf_counter()
                try:
                    reply = self.model.complete(request.messages)
                except ModelError as exc:
                    step.error = ErrorInfo.of(exc)
                    raise
                finally:
                    timings["model"] = timings.get("model", 0) + time.perf_counter() - t0
                attempt = Attempt(content=reply.content, reasoning=reply.reasoning,
                                  finish_reason=reply.finish_reason, usage=reply.usage,
                                  seconds=reply.seconds, transport_errors=reply.transport_errors)
                step.attempts.append(attempt)
                step.usage = step.usage + reply.usage
                t0 = time.perf_counter()
                try:
                    parsed = self.protocol.parse(reply.content, reply.reasoning)
                except ModelResponseError as exc:
                    attempt.error = ErrorInfo.of(exc)
                    correction = str(exc)
                    continue
                finally:
                    timings["parse"] = timings.get("parse", 0) + time.perf_counter() - t0
                break
            if parsed is None:
                step.error = step.attempts[-1].error
                return step, None, obs
            step.thinking, step.answer_text = parsed.thinking, parsed.answer_text
            step.memory, step.action, step.call = parsed.memory, parsed.action, parsed.call
            if not parsed.action.terminal:
                self._execute(step, parsed.action, obs, timings)
            return step, parsed, obs
        finally:
            step.timings = {k: round(v, 5) for k, v in timings.items()}
            log.append_step(step)
            for hook in self.hooks:
                hook.on_step_end(step)

    def _execute(self, step: StepRecord, action: Action, obs: Observation,
                 timings: dict[str, float]) -> None:
        t0 = time.perf_counter()
        try:
            for hook in self.hooks:
                hook.before_action(step, action, obs)
            result = self.driver.act(action, obs.frame)
        except ActionRefusedError as exc:
            step.error = ErrorInfo.of(exc)
            step.result = "refused"
            return
        finally:
            timings["execute"] = time.perf_counter() - t0
        step.executed, step.result = result.points, result.detail or "ok"
        for hook in self.hooks:
            hook.after_action(step, result)

    def _thumbnail(self, obs: Observation) -> str:
        return data_url(encode_image(half_size(obs.pil()), self.config.image_format,
                                     self.config.jpeg_quality),
                        "image/png" if self.config.image_format == "png" else "image/jpeg")


def _note(step: StepRecord) -> str | None:
    if step.error is not None and step.result == "refused":
        return f"that action was refused and not executed: {step.error.message}"
    return None
