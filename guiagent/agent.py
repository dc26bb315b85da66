"""The agent loop: observe, ask, parse, act, record; until the task ends.

Errors split in two (as in smolagents): the model's faults (an unreadable
answer, a refused action) and input no application took (a key with nothing
focused: the app is still starting) are recorded on the step and shown to the model;
ours and the environment's (server unreachable, driver broken) end the run
with a clear outcome. Either way the run log is complete up to that point.

Everything else is a collaborator: :class:`~guiagent.asking.Asker` gets a
usable answer (re-asks, cut-off thoughts), hooks guard and watch
(:mod:`guiagent.hooks`, :mod:`guiagent.guard`, :mod:`guiagent.stuck`), and
:mod:`guiagent.interrupts` turns Ctrl-C/SIGTERM into a stop between steps.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .actions import Action, Answer, Done, Fail
from .asking import Asker
from .drivers.base import Driver, Observation
from .errors import (
    ActionRefusedError,
    DriverError,
    GuiAgentError,
    InputNotTakenError,
    ModelResponseError,
)
from .hooks import AgentHooks, StopRun, add_note, step_note
from .imaging import data_url
from .interrupts import StopRequest, stop_on_signals
from .model import ModelClient
from .protocols.base import (
    HistoryEntry,
    ParsedAnswer,
    ProtocolAdapter,
    StepInput,
    check_driver,
    prepare_observation,
    prepares_observation,
)
from .protocols.coordinates import normalise_action
from .protocols.registry import resolve_protocol
from .redaction import strip_userinfo
from .runlog import ErrorInfo, Outcome, RunLog, RunRecord, StepRecord
from .secrets import redactor_of
from .step_images import ThumbnailMaker
from .stream_redaction import RedactedDeltas
from .stuck import StuckDetector
from .takeover import LoopControl
from .tokens import price_of

__all__ = ["Agent", "AgentConfig", "AgentHooks", "RunResult", "StopRun", "add_note"]

_TERMINAL: dict[str, Outcome] = {"DONE": "done", "FAIL": "failed", "answer": "answered"}


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
    #: Write into a ``run_dir`` that holds a previous run (its files are replaced).
    overwrite: bool = False
    #: Tell the model after this many identical actions on an unchanged screen (None: off).
    stuck_warn_after: int | None = Field(default=3, ge=1)
    #: End the run as ``stuck`` at this many (None: never).
    stuck_stop_after: int | None = Field(default=5, ge=1)
    #: Turn SIGINT/SIGTERM into "stop after this action" while run() is going (main thread).
    handle_signals: bool = True


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


def default_hooks(config: AgentConfig) -> list[AgentHooks]:
    """The hooks every run gets from its config: stuck detection."""
    warn, stop = config.stuck_warn_after, config.stuck_stop_after
    if warn is None and stop is None:
        return []
    stop = stop or 10**9
    return [StuckDetector(warn_after=min(warn or stop, stop), stop_after=stop)]


class Agent:
    """Runs one task on one driver with one model."""

    def __init__(self, driver: Driver, model: ModelClient, *,
                 protocol: ProtocolAdapter | str | None = None,
                 config: AgentConfig | None = None, hooks: list[AgentHooks] | None = None) -> None:
        """``protocol``: an adapter, a registry name (``"qwen25vl"``), or None to pick one
        from the model's name (:func:`~guiagent.protocols.registry.protocol_for_model`)."""
        self.driver = driver
        self.model = model
        self.protocol = resolve_protocol(protocol, model.settings.model)
        self.config = config or AgentConfig()
        self.hooks = [*default_hooks(self.config), *(hooks or [])]
        self.stop = StopRequest()
        self._thumbnails = ThumbnailMaker(self.config.image_format, self.config.jpeg_quality)

    @property
    def asker(self) -> Asker:
        """Gets each step's answer from the model (re-asks, continued thoughts)."""
        listening = [h for h in self.hooks
                     if type(h).on_model_delta is not AgentHooks.on_model_delta]
        # redacted over the streamed text so far: a secret may come split across pieces
        sink = RedactedDeltas(_fan_out(listening), redactor_of(self.driver)) if listening else None
        return Asker(self.model, self.protocol, self.config.max_reasks, on_delta=sink)

    def request_stop(self, reason: str = "stop requested") -> None:
        """End the run after the current step (thread-safe; what Ctrl-C does)."""
        self.stop.set(reason)

    def new_log(self, task: str) -> RunLog:
        """Create the run directory and run.json."""
        run_dir = self.config.run_dir or self.config.runs_root / (
            time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6])
        record = RunRecord(
            task=task, protocol=self.protocol.name, driver=self.driver.describe(),
            model={"base_url": strip_userinfo(self.model.settings.base_url),
                   "name": self.model.settings.model},
            price=price_of(self.model.settings),
        )
        return RunLog(run_dir, record, redactor=redactor_of(self.driver),
                      overwrite=self.config.overwrite)

    def run(self, task: str) -> RunResult:
        """Run until DONE/FAIL/answer, a budget runs out, a hook stops it, or an error ends it."""
        log = self.new_log(task)
        history: list[HistoryEntry] = []
        memory: Any = []
        outcome: Outcome = "max_steps"
        answer: str | None = None
        error: BaseException | None = None
        started, asker = time.monotonic(), self.asker
        self.stop.clear()
        with stop_on_signals(self.stop, self.config.handle_signals):
            try:
                check_driver(self.protocol, self.driver)
                self.driver.start()
                for hook in self.hooks:
                    hook.on_run_start(self.driver)
                control = LoopControl(self, log, history)
                for _ in range(self.config.max_steps):
                    for hook in self.hooks:  # a hook may hold the loop here (pause, take over)
                        hook.between_steps(control)
                    if self.stop.is_set():
                        raise StopRun("interrupted", f"{self.stop.reason}: stopped after step "
                                                     f"{len(log.steps)}")
                    if self.config.max_seconds and time.monotonic() - started > self.config.max_seconds:
                        outcome = "max_time"
                        break
                    index = len(log.steps) + 1  # steps a person took in between count too
                    step, parsed, obs, step_image_url = self._step(asker, index, task, history,
                                                                   memory, log)
                    if parsed is None:  # the model never gave a usable answer
                        raise ModelResponseError(step.error.message if step.error else "no answer")
                    memory = parsed.memory if parsed.memory is not None else memory
                    if isinstance(parsed.action, Done | Fail | Answer):
                        outcome = _TERMINAL[parsed.action.action]
                        answer = getattr(parsed.action, "content", None)
                        break
                    history.append(HistoryEntry(answer_text=parsed.answer_text,
                                                note=step_note(step),
                                                thumbnail_url=self._thumbnail(obs),
                                                image_url=step_image_url,
                                                screenshot=obs.frame.screenshot,
                                                call=parsed.call))
            except StopRun as exc:
                outcome, error = exc.outcome, exc
            except KeyboardInterrupt as exc:
                outcome, error = "interrupted", exc
            except GuiAgentError as exc:
                outcome, error = "error", exc
            except Exception as exc:  # a bug (ours or a hook's): record it, then let it surface
                outcome, error = "error", exc
                raise
            finally:
                self._thumbnails.close()
                record = log.finish(outcome, answer=answer, error=error)
        return RunResult(outcome=outcome, run_dir=log.dir, record=record, steps=log.steps,
                         answer=answer, error=error)

    def _step(self, asker: Asker, index: int, task: str, history: list[HistoryEntry],
              memory: Any, log: RunLog,
              ) -> tuple[StepRecord, ParsedAnswer | None, Observation, str]:
        cfg, timings = self.config, {}
        step = StepRecord(index=index, started_at=time.time())
        t0 = time.perf_counter()
        obs = self.driver.observe().fitted(cfg.max_image_pixels)
        timings["capture"] = time.perf_counter() - t0
        if prepares_observation(self.protocol):  # e.g. set-of-marks drawn on the screenshot
            t0 = time.perf_counter()
            obs = prepare_observation(self.protocol, self.driver, obs)
            timings["prepare"] = time.perf_counter() - t0
        for hook in self.hooks:
            hook.on_step_start(index, obs)
        t0 = time.perf_counter()
        data, mime = obs.encoded(cfg.image_format, cfg.jpeg_quality)
        image_url = data_url(data, mime)
        timings["encode"] = time.perf_counter() - t0
        step.screenshot = log.save_screenshot(index, data, obs.extension)
        self._thumbnails.start(obs)  # while the model is asked
        step.frame, step.url, step.title = obs.frame, obs.url, obs.title
        try:
            given = StepInput(task=task, image_url=image_url, screenshot=obs.frame.screenshot,
                              history=history, memory=memory, url=obs.url, title=obs.title)
            parsed = asker.ask(step, given, len(data), timings)
            if parsed is not None:
                action, raw = normalise_action(parsed.action, self.protocol.coordinates,
                                               obs.frame.screenshot)
                if raw:  # the points as answered, in the family's own coordinates
                    step.extra["raw_points"] = {k: v.model_dump() for k, v in raw.items()}
                step.thinking, step.answer_text = parsed.thinking, parsed.answer_text
                step.memory, step.action, step.call = parsed.memory, action, parsed.call
                if not action.terminal:
                    self._execute(step, action, obs, timings)
                    self._execute_then(step, parsed.then, obs, timings)
            return step, parsed, obs, image_url
        finally:
            self._page_events(step, log)
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
            step.error, step.result = ErrorInfo.of(exc), "refused"
            return
        except InputNotTakenError as exc:  # nothing was entered; the model hears why
            step.error, step.result = ErrorInfo.of(exc), "not taken"
            return
        except StopRun as exc:
            step.error, step.result = ErrorInfo.of(exc), "not executed"
            raise
        except DriverError as exc:  # ends the run; the step says where and why
            step.error, step.result = ErrorInfo.of(exc), "failed"
            raise
        finally:
            timings["execute"] = time.perf_counter() - t0
        step.executed, step.result = result.points, result.detail or "ok"
        if result.page_load:
            timings["page_load"] = timings.get("page_load", 0.0) + result.page_load
        for hook in self.hooks:
            hook.after_action(step, result)

    def _execute_then(self, step: StepRecord, actions: list[Action], obs: Observation,
                      timings: dict[str, float]) -> None:
        """Run the actions the family performs after the step's action (ParsedAnswer.then)."""
        if not actions:
            return
        step.extra["then"] = [a.model_dump(mode="json") for a in actions]
        points, spent = list(step.executed), timings.get("execute", 0.0)
        results = [step.result]
        for action in actions:
            if step.error is not None:
                break
            self._execute(step, action, obs, timings)
            points += step.executed
            spent += timings["execute"]
            results.append(step.result)
        step.executed, timings["execute"] = points, spent
        if step.error is None:
            step.result = "; ".join(r for r in results if r)

    def _page_events(self, step: StepRecord, log: RunLog) -> None:
        """Record what the page did (dialogs, files, tabs) and tell the model in its next prompt."""
        collect = getattr(self.driver, "collect_page_events", None)
        if not callable(collect):
            return
        try:
            events = collect(log.dir)
        except GuiAgentError as exc:
            add_note(step, f"could not collect the page's events: {exc}")
            return
        if events:
            step.page_events = events
            for note in events.notes:
                add_note(step, note)

    def _thumbnail(self, obs: Observation) -> str:
        return self._thumbnails.take(obs)


def _fan_out(hooks: list[AgentHooks]):  # noqa: ANN202 - a StepDeltaSink
    """Pass each streamed piece to every hook that listens for them."""
    def on_delta(step: StepRecord, kind: str, text: str) -> None:
        for hook in hooks:
            hook.on_model_delta(step, kind, text)
    return on_delta
