"""Replaying a run's actions without the model.

Each recorded step is replayed in order: capture the screen, compare it with
the screenshot the model saw when it chose that step's action, and only if
they match (within the threshold) execute the recorded action through a
driver of the recorded kind. The first screen that differs too much stops
the replay with outcome ``diverged`` and leaves the recorded, replayed and
difference images in ``divergence/``. Steps whose action was refused in the
recording are not executed (they were not then either); a step whose action
failed, or that ended the recorded run without an action, is the last one.

Every action passes an :class:`~guiagent.guard.ActionGuard` (see
:mod:`.safety`): a refusal ends the replay. A step without a recorded
screenshot is not executed blind unless ``force``.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from PIL import Image

from ..actions import action_from_json
from ..drivers.base import ActionResult, Driver, Observation
from ..errors import (
    ActionRefusedError,
    ConfigError,
    DriverError,
    GuiAgentError,
    InputNotTakenError,
)
from ..guard import ActionGuard
from ..protocols.base import ProtocolAdapter, prepare_observation, prepares_observation
from ..protocols.registry import make_protocol
from ..runlog import ErrorInfo, Outcome, RunLog, RunRecord, StepRecord, read_run
from .diff import DEFAULT_THRESHOLD, DiffResult, image_difference
from .drivers import driver_for_run
from .result import ReplayMismatch, ReplayReport, StepComparison, save_evidence
from .safety import blind_message, recorded_screenshot, replay_guard


def default_out(source: Path) -> Path:
    """Where a replay of ``source`` goes unless told: beside it, named after it."""
    return source.parent / f"{source.name}-replay-{datetime.now():%Y%m%d-%H%M%S-%f}"


def replay_outcome(recorded: str) -> Outcome:
    """The outcome a faithful replay ends with: the recorded one (a killed run: interrupted)."""
    return "interrupted" if recorded == "running" else recorded  # type: ignore[return-value]


def max_pixels(step: StepRecord) -> int | None:
    """Scale fresh screenshots like the recorded ones (the agent may have shrunk them)."""
    return step.frame.screenshot.width * step.frame.screenshot.height if step.frame else None


class ActionReplayer:
    """Replays one recorded run's actions through a driver; see the module docstring."""

    def __init__(self, source: str | Path, driver: Driver | None = None, *,
                 threshold: float = DEFAULT_THRESHOLD, out: str | Path | None = None,
                 url: str | None = None, settle_retries: int = 3,
                 settle_seconds: float = 0.5, guard: ActionGuard | None = None,
                 force: bool = False) -> None:
        self.source = Path(source)
        self.record, self.steps = read_run(self.source)
        if not self.steps:
            raise ConfigError(f"{self.source} has no recorded steps to replay")
        self.threshold = threshold
        self._owns_driver = driver is None
        self.driver = driver or driver_for_run(self.record, url=url)
        #: Unattended with the default policy unless told otherwise.
        self.guard = guard or replay_guard(self.record)
        self.guard.prepare(self.driver)
        self.force = force
        self.out = Path(out) if out else default_out(self.source)
        self.settle_retries = settle_retries
        self.settle_seconds = settle_seconds
        self.report = ReplayReport(source=str(self.source), threshold=threshold,
                                   recorded_outcome=self.record.outcome)
        #: The recorded protocol when it changed what the model saw (set-of-marks drawn on
        #: the screenshot): fresh screenshots are prepared the same way before comparing.
        self.marker = observation_protocol(self.record.protocol)

    def run(self) -> ReplayReport:
        """Replay until the end, the first divergence, or the step the recording ended on."""
        log = RunLog(self.out, RunRecord(
            kind="replay", task=self.record.task, protocol=self.record.protocol,
            driver=self.driver.describe(),
            model={"name": "none: recorded actions", "recorded": self.record.model.get("name")},
            extra={"replay": self.report.model_dump(mode="json")}))
        self.report.run_dir = str(log.dir)
        outcome: Outcome = replay_outcome(self.record.outcome)
        error: BaseException | ErrorInfo | None = None
        try:
            self.driver.start()
            self.guard.on_run_start(self.driver)
            for recorded in self.steps:
                stop, outcome, error = self._replay_step(recorded, log, outcome, error)
                self.report.steps_replayed += 1
                if stop:
                    break
        except KeyboardInterrupt as exc:
            outcome, error = "interrupted", exc
            self.report.mismatches.append(ReplayMismatch(
                step=self.report.steps_replayed + 1, kind="log", detail="interrupted"))
        except GuiAgentError as exc:  # the screen could not be captured, or the guard cannot run
            outcome, error = "error", exc
            self.report.mismatches.append(ReplayMismatch(
                step=self.report.steps_replayed + 1, kind="driver", detail=str(exc)))
        finally:
            if self._owns_driver:
                self.driver.close()
            self.report.outcome = outcome
            self.report.reproduced = not self.report.mismatches and outcome == replay_outcome(
                self.record.outcome)
            self.report.summary = self._summary()
            log.record.extra["replay"] = self.report.model_dump(mode="json")
            log.finish(outcome, answer=self.record.answer if self.report.reproduced else None,
                       error=error)
        return self.report

    def _replay_step(self, recorded: StepRecord, log: RunLog, outcome: Outcome,
                     error: BaseException | ErrorInfo | None
                     ) -> tuple[bool, Outcome, BaseException | ErrorInfo | None]:
        step = StepRecord(index=recorded.index, started_at=time.time(), action=recorded.action,
                          call=recorded.call, answer_text=recorded.answer_text,
                          memory=recorded.memory, thinking=recorded.thinking)
        try:
            t0 = time.perf_counter()
            obs, diff = self._observe_matching(recorded)
            step.timings["capture"] = round(time.perf_counter() - t0, 5)
            data, _mime = obs.encoded(*_format_of(recorded))
            step.screenshot = log.save_screenshot(recorded.index, data, obs.extension)
            step.frame, step.url, step.title = obs.frame, obs.url, obs.title
            self.guard.on_step_start(recorded.index, obs)
            if diff is not None:
                diverged = diff.over(self.threshold)
                comparison = StepComparison.of(recorded.index, diff, diverged)
                self.report.compared.append(comparison)
                if diverged:
                    comparison.evidence = save_evidence(
                        log, recorded.index, self.source / str(recorded.screenshot), obs.pil())
                    self.report.diverged_at = recorded.index
                    self.report.mismatches.append(ReplayMismatch(
                        step=recorded.index, kind="screenshot", score=diff.score,
                        detail=f"{diff.describe()}; the threshold is {self.threshold:.1%}"))
                    step.result = "diverged: not executed"
                    return True, "diverged", None
            if recorded.action is None:
                step.result = "the recorded run got no usable action here"
                step.error = recorded.error
                return True, outcome, recorded.error or error
            if recorded.result == "refused":
                step.result, step.error = "refused in the recording: not executed", recorded.error
                return False, outcome, error
            if recorded.action.terminal:
                step.result = "nothing to execute"
                return True, outcome, error
            if diff is None and not self.force:
                blind = ConfigError(blind_message(recorded.index))
                step.result, step.error = "blind: not executed", ErrorInfo.of(blind)
                self.report.mismatches.append(ReplayMismatch(
                    step=recorded.index, kind="blind", detail=str(blind)))
                return True, "error", blind
            return self._execute(recorded, step, obs, outcome, error)
        finally:
            log.record.extra["replay"] = self.report.model_dump(mode="json")
            log.append_step(step)

    def _execute(self, recorded: StepRecord, step: StepRecord, obs: Observation,
                 outcome: Outcome, error: BaseException | ErrorInfo | None
                 ) -> tuple[bool, Outcome, BaseException | ErrorInfo | None]:
        assert recorded.action is not None
        try:
            self.guard.before_action(step, recorded.action, obs)
        except ActionRefusedError as exc:
            step.result, step.error = "refused", ErrorInfo.of(exc)
            self.report.mismatches.append(ReplayMismatch(
                step=recorded.index, kind="refused",
                detail=f"the action policy refused {recorded.action.to_call()}: {exc}"))
            return True, "error", exc
        t0 = time.perf_counter()
        try:
            result = self.driver.act(recorded.action, obs.frame)
            result = self._then(recorded, step, obs, result)
        except ActionRefusedError as exc:  # one of the actions that follow the step's action
            step.result, step.error = "refused", ErrorInfo.of(exc)
            self.report.mismatches.append(ReplayMismatch(
                step=recorded.index, kind="refused", detail=f"the action policy refused: {exc}"))
            return True, "error", exc
        except InputNotTakenError as exc:
            # Nothing was entered. If the recording saw the same, its run went on; so does this.
            step.error, step.result = ErrorInfo.of(exc), "not taken"
            if recorded.result == "not taken":
                return False, outcome, error
            self.report.mismatches.append(ReplayMismatch(
                step=recorded.index, kind="action",
                detail=f"no application took the input now, unlike in the recording: {exc}"))
            return True, "error", exc
        except DriverError as exc:
            step.error, step.result = ErrorInfo.of(exc), "failed"
            if recorded.error is None:
                self.report.mismatches.append(ReplayMismatch(
                    step=recorded.index, kind="action",
                    detail=f"the action failed now but not in the recording: {exc}"))
            return True, "error", exc
        finally:
            step.timings["execute"] = round(time.perf_counter() - t0, 5)
        step.executed, step.result = result.points, result.detail or "ok"
        self.guard.after_action(step, result)
        if recorded.result == "not taken":  # the recording went on after it; so does this
            self.report.mismatches.append(ReplayMismatch(
                step=recorded.index, kind="action",
                detail="an application took the input now, unlike in the recording"))
            return False, outcome, error
        if recorded.error is not None:  # the recording failed here and ended
            self.report.mismatches.append(ReplayMismatch(
                step=recorded.index, kind="action",
                detail=f"the action failed in the recording ({recorded.error.message}) "
                       "but succeeded now"))
            return True, outcome, error
        return False, outcome, error

    def _then(self, recorded: StepRecord, step: StepRecord, obs: Observation,
              first: ActionResult) -> ActionResult:
        """Run the actions the family's interface performed after the step's action.

        A protocol may turn one answer into several actions (GLM web's ``Type [N]``:
        click, select all, Backspace, the text, Enter); the log keeps the rest in
        ``extra.then``. Each passes the guard; the points of all are kept.
        """
        points, details = list(first.points), [first.detail]
        for data in recorded.extra.get("then") or []:
            action = action_from_json(data)
            self.guard.before_action(step, action, obs)
            result = self.driver.act(action, obs.frame)
            points += result.points
            details.append(result.detail)
        return ActionResult(points=points, detail="; ".join(d for d in details if d))

    def _observe(self, recorded: StepRecord) -> Observation:
        obs = self.driver.observe().fitted(max_pixels(recorded))
        return obs if self.marker is None else prepare_observation(self.marker, self.driver, obs)

    def _observe_matching(self, recorded: StepRecord) -> tuple[Observation, DiffResult | None]:
        """Capture; while the screen differs, let it settle and capture again a few times."""
        path = recorded_screenshot(self.source, recorded)
        if path is None:
            return self._observe(recorded), None  # nothing to compare
        with Image.open(path) as image:
            reference = image.convert("RGB")
        for attempt in range(self.settle_retries + 1):
            try:
                obs = self._observe(recorded)
            except DriverError:  # e.g. captured mid-navigation; the page may settle
                if attempt == self.settle_retries:
                    raise
                time.sleep(self.settle_seconds)
                continue
            diff = image_difference(reference, obs.pil())
            if not diff.over(self.threshold) or attempt == self.settle_retries:
                return obs, diff
            time.sleep(self.settle_seconds)
        raise AssertionError("unreachable")  # pragma: no cover

    def _summary(self) -> str:
        r = self.report
        if r.diverged_at is not None:
            c = r.comparison(r.diverged_at)
            return (f"diverged at step {r.diverged_at}: {c.score:.1%} of the screen differs "
                    f"(threshold {r.threshold:.1%})" if c else f"diverged at step {r.diverged_at}")
        if r.reproduced:
            return (f"reproduced {r.steps_replayed} of {len(self.steps)} recorded step(s); "
                    f"outcome {r.outcome}")
        first = r.mismatches[0] if r.mismatches else None
        return (f"not reproduced: step {first.step}: {first.detail}" if first
                else f"not reproduced: outcome {r.outcome}, recorded {r.recorded_outcome}")


def observation_protocol(name: str) -> ProtocolAdapter | None:
    """Protocol ``name`` if it prepares observations (GLM web's marks), else None."""
    if not name:
        return None
    try:
        protocol = make_protocol(name)
    except ConfigError:  # a name this version does not know: compare plain screenshots
        return None
    return protocol if prepares_observation(protocol) else None


def _format_of(step: StepRecord) -> tuple[str, int]:
    suffix = Path(step.screenshot or "x.jpg").suffix.lower()
    return ("png", 85) if suffix == ".png" else ("jpeg", 85)


def replay_actions(source: str | Path, driver: Driver | None = None, **options: object
                   ) -> ReplayReport:
    """Replay a run's recorded actions; see :class:`ActionReplayer` for the options."""
    return ActionReplayer(source, driver, **options).run()  # type: ignore[arg-type]
