"""``replay --model-from-log``: the whole agent loop again, the model played from the log.

Everything but the model runs for real, configured like the recording
(driver, image format and size, re-ask budget, prompt tips), and the
:class:`~guiagent.replay.cassette.CassetteModelClient` answers. The new run
is a ``kind: "replay"`` run log; it is *reproduced* when it ends with the
recorded outcome and no request differed from the recorded one.
"""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from ..actions import Action
from ..agent import Agent, AgentConfig, RunResult
from ..drivers.base import ActionResult, Driver, Observation
from ..errors import ActionRefusedError, CassetteMismatchError, ConfigError
from ..guard import ActionGuard
from ..hooks import AgentHooks, StepControl, add_note
from ..imaging import decode_image
from ..protocols.registry import DEFAULT_PROTOCOL, make_protocol
from ..runlog import RunLog, StepRecord
from ..takeover import GIVE_BACK_NOTE
from .cassette import CassetteModelClient
from .diff import DEFAULT_THRESHOLD
from .drivers import driver_for_run
from .replayer import default_out, max_pixels, replay_outcome
from .result import ReplayMismatch, ReplayReport, StepComparison, save_evidence
from .safety import replay_guard

_TIPS = re.compile(r"\n# Tips\n(.*?)\n\n?# Task\n", re.DOTALL)


def recorded_tips(steps: list[StepRecord]) -> str | None:
    """The tips the recorded prompt carried (the log does not keep them separately)."""
    prompt = next((s.request.prompt for s in steps if s.request is not None), "")
    match = _TIPS.search(prompt)
    return match.group(1).strip() if match else None


def _asks(step: StepRecord) -> int:
    """Requests of a step that were asks or re-asks (not continuations of a thought)."""
    kinds = step.extra.get("attempt_kinds")
    if isinstance(kinds, list) and kinds:
        return sum(1 for kind in kinds if kind in ("ask", "reask"))
    return len(step.attempts)


def recorded_config(steps: list[StepRecord], out: Path) -> AgentConfig:
    """An AgentConfig that asks like the recorded run did."""
    first = steps[0]
    fmt = "png" if (first.screenshot or "").lower().endswith(".png") else "jpeg"
    gave_up = [_asks(s) - 1 for s in steps
               if s.error is not None and s.error.type == "ModelResponseError"]
    reasks = gave_up[0] if gave_up else max([2, *(_asks(s) - 1 for s in steps)])
    return AgentConfig(max_steps=len(steps), max_reasks=reasks, image_format=fmt,
                       max_image_pixels=max_pixels(first), run_dir=out)


class RecordedSteering(AgentHooks):
    """Refuse what the recording's hooks refused, repeat the notes they added, and take
    the steps a person took over for (``actor`` human, docs/ui.md) where they took them.

    The hooks of the recorded run (an action guard, say) are not in the log; what they
    did is. Replaying it keeps the next prompts identical to the recorded ones.
    """

    def __init__(self, steps: list[StepRecord]) -> None:
        self.steps = {s.index: s for s in steps}
        self.taken = 0  # steps of the new run so far

    def on_run_start(self, driver: object) -> None:
        """A new run: no steps yet."""
        self.taken = 0

    def on_step_end(self, step: StepRecord) -> None:
        """Count the step."""
        self.taken += 1

    def between_steps(self, control: StepControl) -> None:
        """Take the steps a person (or tool) took here in the recording, through the guard;
        tell the model control came back, as the live UI did."""
        acted, recorded = False, self.steps.get(self.taken + 1)
        while recorded is not None and recorded.actor != "model" and recorded.action is not None:
            control.act(recorded.action, actor=recorded.actor)
            acted, recorded = True, self.steps.get(self.taken + 1)
        if acted and recorded is not None:
            control.tell_model(GIVE_BACK_NOTE)

    def _notes(self, step: StepRecord) -> None:
        recorded = self.steps.get(step.index)
        for note in (recorded.extra.get("notes") or []) if recorded else []:
            if note not in step.extra.get("notes", []):
                add_note(step, note)

    def before_action(self, step: StepRecord, action: Action, observation: Observation) -> None:
        """Refuse the action if the recording refused the same one here."""
        recorded = self.steps.get(step.index)
        if (recorded is not None and recorded.result == "refused" and recorded.error is not None
                and recorded.action == action):
            self._notes(step)
            raise ActionRefusedError(recorded.error.message)

    def after_action(self, step: StepRecord, result: ActionResult) -> None:
        """Repeat the recorded notes of this step."""
        self._notes(step)


class CassetteSteps(AgentHooks):
    """Tell the cassette which step the agent is on, and the screenshot it sends.

    Encoding here with the run's settings is the encoding the agent then sends
    (an observation keeps its encoded bytes), so the cassette compares the very
    image the model would see, whatever the family's request layout.
    """

    def __init__(self, cassette: CassetteModelClient, config: AgentConfig) -> None:
        self.cassette = cassette
        self.config = config

    def on_step_start(self, index: int, observation: Observation) -> None:
        """Hand the step's number and screenshot to the cassette."""
        data, _ = observation.encoded(self.config.image_format, self.config.jpeg_quality)
        self.cassette.at_step(index, decode_image(data))


class _ReplayAgent(Agent):
    """The ordinary agent, writing a ``kind: "replay"`` run log."""

    log: RunLog | None = None

    def new_log(self, task: str) -> RunLog:
        self.log = super().new_log(task)
        self.log.record.kind = "replay"
        self.log.write_run()
        return self.log


def replay_with_model_log(source: str | Path, driver: Driver | None = None, *,
                          threshold: float = DEFAULT_THRESHOLD, out: str | Path | None = None,
                          url: str | None = None, guard: ActionGuard | None = None,
                          force: bool = False, protocol: str | None = None) -> ReplayReport:
    """Run the agent again on a fresh screen, answering the model from ``source``'s log.

    The actions pass ``guard`` (default: the default policy, unattended, plus the
    recording's allowed domains); a step without a recorded screenshot is not
    answered unless ``force``. The protocol is the recorded one unless ``protocol``
    names another (a log without one was written by glm41v-pc).
    """
    source = Path(source)
    cassette = CassetteModelClient(source, threshold=threshold, force=force)
    record, steps = cassette.record, sorted(cassette.steps.values(), key=lambda s: s.index)
    if not steps:
        raise ConfigError(f"{source} has no recorded steps to replay")
    out = Path(out) if out else default_out(source)
    owns_driver = driver is None
    driver = driver or driver_for_run(record, url=url)
    guard = guard or replay_guard(record)
    guard.prepare(driver)
    adapter = make_protocol(protocol or record.protocol or DEFAULT_PROTOCOL,
                            tips=recorded_tips(steps))
    config = recorded_config(steps, out)
    agent = _ReplayAgent(driver, cassette, protocol=adapter, config=config,
                         hooks=[CassetteSteps(cassette, config), RecordedSteering(steps), guard])
    report = ReplayReport(source=str(source), run_dir=str(out), mode="model-from-log",
                          threshold=threshold, recorded_outcome=record.outcome)
    try:
        result = agent.run(record.task)
    finally:
        if owns_driver:
            driver.close()
    return _conclude(report, result, cassette, agent.log, steps)


def _conclude(report: ReplayReport, result: RunResult, cassette: CassetteModelClient,
              log: RunLog | None, steps: list[StepRecord]) -> ReplayReport:
    """Turn the finished run and the cassette's findings into the report, in run.json."""
    report.steps_replayed = len(result.steps)
    report.mismatches = [*cassette.mismatches, *cassette.unused()]
    stopped = next((m for m in cassette.mismatches if m.kind != "prompt"), None)
    recorded = {s.index: s for s in steps}
    for index, diff in sorted(cassette.differences.items()):
        comparison = StepComparison.of(index, diff, diff.over(report.threshold))
        if comparison.diverged and log is not None:
            new = next((s for s in result.steps if s.index == index), None)
            if new is not None and new.screenshot:
                with Image.open(log.dir / new.screenshot) as fresh:
                    comparison.evidence = save_evidence(
                        log, index, cassette.run_dir / str(recorded[index].screenshot),
                        fresh.convert("RGB"))
        report.compared.append(comparison)
    report.outcome = result.outcome
    if stopped is not None and isinstance(result.error, CassetteMismatchError):
        report.outcome, report.diverged_at = "diverged", stopped.step
    elif result.outcome != replay_outcome(report.recorded_outcome):
        report.mismatches.append(ReplayMismatch(
            step=len(result.steps), kind="outcome",
            detail=f"the run ended {result.outcome}; the recording ended {report.recorded_outcome}"))
    report.reproduced = not report.mismatches
    first = report.mismatches[0] if report.mismatches else None
    report.summary = (
        f"reproduced {len(result.steps)} step(s) with the recorded answers; outcome {result.outcome}"
        if first is None else
        f"{'diverged' if report.diverged_at else 'differs'} at step {first.step}: "
        f"{first.kind}: {first.detail.splitlines()[0]}")
    if log is not None:
        log.record.outcome = report.outcome
        log.record.extra["replay"] = report.model_dump(mode="json")
        log.write_run()
    return report
