"""What a running skill holds: the driver, the log, the grounders and the variables.

Every action goes through :meth:`SkillContext.act`, which first passes it
through the run's hooks exactly as the agent loop does (the action guard's
denied keys, off-screen points, confirmations, pacing and navigation checks
apply to a skill's own steps too: a skill file is someone else's text), then
calls the driver's normal ``act(action, frame)`` with the frame of the
screenshot the target was found on, and writes one :class:`~guiagent.runlog.StepRecord` per action, so a
skill's log reads like an agent run's: screenshot, action, executed point,
plus ``extra.grounding`` saying which grounder found the target, where, and
how sure it was.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

from ..actions import Action, Point, Scroll
from ..agent import AgentHooks
from ..drivers.base import ActionResult, Driver, Observation
from ..errors import ActionRefusedError, ConfigError, SkillStepError, TargetNotFoundError
from ..runlog import ErrorInfo, RunLog, StepRecord
from ..secrets import Secrets
from .ground_model import ModelGrounder
from .ground_ocr import GOOD_ENOUGH, ScreenText
from .grounding import Grounding, GroundingChain, Miss
from .schema import Parameter
from .target import Purpose, Target
from .templating import render_text, render_value

MAX_SCROLLS = 6


class SkillContext:
    """State and helpers shared by the step handlers of one run."""

    def __init__(self, driver: Driver, log: RunLog, chain: GroundingChain,
                 model_grounder: ModelGrounder, screen_text: ScreenText, *,
                 variables: dict[str, Any], secrets: Secrets | None = None,
                 params: dict[str, Parameter] | None = None, image_format: str = "jpeg",
                 jpeg_quality: int = 85, hooks: list[AgentHooks] | None = None,
                 settle_seconds: float = 1.5) -> None:
        self.driver = driver
        self.log = log
        self.chain = chain
        self.model_grounder = model_grounder
        self.screen_text = screen_text
        self.variables = variables
        self.secrets = secrets or Secrets()
        self.skill_params = params or {}
        self.image_format = image_format
        self.jpeg_quality = jpeg_quality
        self.hooks = list(hooks or [])
        self.settle_seconds = settle_seconds
        self.obs: Observation | None = None
        self.path = ""     # the skill step being run, e.g. "3" or "4.2.1"
        self.kind = ""
        self.label = ""    # a human wording of the step
        self._saved: tuple[Observation, str] | None = None
        self._timings: dict[str, float] = {}
        self._last_misses: list[Miss] = []

    # -- templates ---------------------------------------------------------
    def text(self, template: str) -> str:
        """Render a string template with the parameters and loop variables."""
        return render_text(template, self.variables)

    def value(self, template: Any) -> Any:
        """Render any value; a lone ``{{ x }}`` keeps x's type."""
        return render_value(template, self.variables)

    def target(self, target: Target) -> Target:
        """A copy of the target with its texts rendered."""
        data = target.model_dump(exclude_none=True)
        for key in ("text", "label", "role", "placeholder", "description"):
            if key in data:
                data[key] = self.text(data[key])
        return type(target).model_validate(data)

    def redact(self, text: str) -> str:
        """Replace secret values by ``{{secret:name}}`` (as the log does with everything)."""
        return self.log.redactor.text(text)

    # -- screen ------------------------------------------------------------
    def observe(self, fresh: bool = False) -> Observation:
        """The current screenshot (taken again after any action)."""
        if self.obs is None or fresh:
            t0 = time.perf_counter()
            self.obs = self.driver.observe()
            self._timings["capture"] = self._timings.get("capture", 0) + time.perf_counter() - t0
        return self.obs

    @property
    def page(self) -> Any:
        """The Playwright page when the driver is a browser, else None."""
        return getattr(self.driver, "page", None)

    def ground(self, target: Target, purpose: Purpose) -> Grounding:
        """Find the target; wait for the screen to settle, scroll it into view if needed.

        A menu or dropdown may still be opening when the screenshot is taken, so
        DOM and OCR are asked again on fresh screenshots for ``settle_seconds``
        before the model (if any) is asked and a miss becomes an error. A fuzzy
        OCR reading is only taken once that time is up: while a list opens, other
        words on screen can read like the option (a typed path "note.txt" for
        "Text (.txt)", seen in CI), and the option itself reads exactly.
        """
        scrolls, deadline = 0, time.monotonic() + self.settle_seconds
        while True:
            obs = self.observe()
            last = time.monotonic() >= deadline
            t0 = time.perf_counter()
            try:
                found, misses = self.chain.locate(target, purpose, obs, self.driver,
                                                  quick=not last)
            except TargetNotFoundError as exc:
                if not last:
                    time.sleep(0.25)
                    self.observe(fresh=True)
                    continue
                self.record(error=exc, extra={"misses": _misses(getattr(exc, "misses", []))})
                exc.recorded = True  # type: ignore[attr-defined]
                raise
            finally:
                self._timings["ground"] = self._timings.get("ground", 0) + time.perf_counter() - t0
            if not last and found.grounder == "ocr" and (found.confidence or 0) < GOOD_ENOUGH:
                time.sleep(0.25)
                self.observe(fresh=True)
                continue
            if found.offscreen is None:
                self._last_misses = misses
                return found
            if scrolls >= MAX_SCROLLS:
                raise TargetNotFoundError(f"{target.summary()} stayed outside the view after "
                                          f"{MAX_SCROLLS} scrolls")
            scrolls += 1
            direction: Literal["up", "down"] = "down" if found.offscreen == "below" else "up"
            self.act(Scroll(start_box=Point(x=500, y=500), direction=direction, step=3),
                     note=f"scroll {direction}: {target.summary()} is outside the view")

    # -- acting and recording ---------------------------------------------------
    def act(self, action: Action, *, grounding: Grounding | None = None,
            note: str = "") -> ActionResult:
        """Pass one action through the hooks, execute it through the driver, record the step.

        A hook's refusal fails the skill (it cannot ask again the way a model can):
        the step is recorded as ``refused`` and :class:`SkillStepError` says why.
        """
        obs = self.observe()
        pending = StepRecord(index=len(self.log.steps) + 1, started_at=time.time())
        try:
            for hook in self.hooks:
                hook.before_action(pending, action, obs)
        except ActionRefusedError as exc:
            self.record(action=action, grounding=grounding, error=exc, note=note,
                        extra=pending.extra, result_text="refused")
            refused = SkillStepError(f"the action was refused: {exc}")
            refused.recorded = True  # type: ignore[attr-defined]
            raise refused from exc
        t0 = time.perf_counter()
        try:
            result = self.driver.act(action, obs.frame)
        except Exception as exc:
            self._timings["execute"] = time.perf_counter() - t0
            self.record(action=action, grounding=grounding, error=exc, note=note,
                        extra=pending.extra)
            exc.recorded = True  # type: ignore[attr-defined]
            raise
        self._timings["execute"] = time.perf_counter() - t0
        for hook in self.hooks:
            hook.after_action(pending, result)
        self.record(action=action, grounding=grounding, result=result, note=note,
                    extra=pending.extra)
        self.obs = None
        return result

    def record(self, *, action: Action | None = None, grounding: Grounding | None = None,
               result: ActionResult | None = None, error: BaseException | None = None,
               note: str = "", extra: dict[str, Any] | None = None,
               result_text: str | None = None) -> StepRecord:
        """Append one step to the log, with the screenshot it was decided on."""
        obs = self.obs or self.observe()
        index = len(self.log.steps) + 1
        step = StepRecord(index=index, started_at=time.time(), frame=obs.frame, url=obs.url,
                          title=obs.title)
        step.screenshot = self._screenshot(index, obs)
        if action is not None:
            logged = _redacted_action(action, self.redact)
            step.action, step.call = logged, logged.to_call()
        attempts, model_seconds = self.model_grounder.drain()
        step.attempts = attempts
        for attempt in attempts:
            step.usage = step.usage + attempt.usage
        if model_seconds:
            self._timings["model"] = model_seconds
        if result is not None:
            step.executed, step.result = result.points, result.detail or "ok"
        if error is not None:
            step.error = ErrorInfo(type=type(error).__name__, message=self.redact(str(error)))
        if result_text is not None:
            step.result = result_text
        step.answer_text = self.redact(note or self.label)
        step.extra = {"skill_step": self.path, "kind": self.kind, **(extra or {})}
        if grounding is not None:
            step.extra["grounding"] = json.loads(self.redact(grounding.model_dump_json(
                exclude_none=True)))
            sure = "" if grounding.confidence is None else f", confidence {grounding.confidence:g}"
            step.answer_text += f"\n(found by {grounding.grounder}: {self.redact(grounding.how)}{sure})"
            if self._last_misses:
                step.extra["misses"] = _misses(self._last_misses)
            self._last_misses = []
        collect = getattr(self.driver, "collect_page_events", None)
        events = collect(self.log.dir) if callable(collect) else None
        if events:
            step.page_events = events
        step.timings = {k: round(v, 5) for k, v in self._timings.items()}
        self._timings = {}
        self.log.append_step(step)
        for hook in self.hooks:
            hook.on_step_end(step)
        return step

    def _screenshot(self, index: int, obs: Observation) -> str:
        """Save the observation once; steps decided on the same screen share the file."""
        if self._saved is None or self._saved[0] is not obs:
            data, _ = obs.encoded(self.image_format, self.jpeg_quality)
            self._saved = (obs, self.log.save_screenshot(index, data, obs.extension))
        return self._saved[1]

    def require_browser(self, what: str) -> Any:
        """The page, or a clear error for checks only a browser can make."""
        if self.page is None:
            raise ConfigError(f"{what} needs a browser driver (--url); on a desktop use "
                              "text checks, which read the screen")
        return self.page


def _misses(misses: list[Miss]) -> list[dict[str, Any]]:
    return [m.model_dump() for m in misses]


def _redacted_action(action: Action, redact: Any) -> Action:
    content = getattr(action, "content", None)
    if isinstance(content, str) and redact(content) != content:
        return action.model_copy(update={"content": redact(content)})
    return action
