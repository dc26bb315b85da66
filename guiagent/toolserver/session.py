"""A tool session: one driver, driven call by call by another program, logged like a run.

Each action a caller asks for becomes one step of the session's run folder
(``actor: "tool"``), exactly as the agent loop records the model's: a fresh
screenshot, the action in GLM-4.1V's schema, the guard's verdict, the points
executed in every coordinate space, page events and timings. The caller's
points are thousandths of the last screenshot it got (or its pixels, with
``pixels=True``), mapped through :class:`~guiagent.geometry.ScreenFrame` as the
model's are, so a tool call and a model step mean the same thing.

Safety is the agent's: the :class:`~guiagent.guard.ActionGuard` sees every
action first (a refusal is logged and raised), typed ``{{secret:NAME}}``
placeholders are substituted only inside the
:class:`~guiagent.secrets.SecretsDriver`, and everything written or returned
passes the run's redactor. Not thread-safe: see :class:`.worker.DriverThread`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..actions import Action, Point, Type
from ..drivers.base import Observation
from ..errors import ActionRefusedError, ConfigError, GuiAgentError, InputNotTakenError, OffScreenError
from ..geometry import MODEL_SCALE, ScreenFrame, Size
from ..guard import ActionGuard
from ..hooks import add_note
from ..imaging import data_url
from ..model import ModelClient
from ..protocols.base import ProtocolAdapter
from ..protocols.registry import resolve_protocol
from ..redaction import strip_userinfo
from ..runlog import Attempt, ErrorInfo, Outcome, RunLog, RunRecord, StepRecord
from ..secrets import PLACEHOLDER_RE, SecretsDriver, redactor_of


@dataclass
class SessionSettings:
    """Where runs go and how screenshots are made."""

    runs_root: Path = Path("runs")
    image_format: str = "jpeg"
    jpeg_quality: int = 85
    max_image_pixels: int | None = None
    #: The model family's protocol (with the run's tips: secrets' placeholders, allowed
    #: domains), for run_task, run_skill and ground; None: GLM-4.1V's pc protocol.
    protocol: ProtocolAdapter | None = None
    skill_paths: list[Path] = field(default_factory=list)


@dataclass
class Shot:
    """A screenshot as returned to the caller."""

    data: bytes
    mime: str
    size: Size
    url: str | None
    title: str | None


def new_run_dir(root: Path, label: str) -> Path:
    """``ROOT/<time>-<label>-<random>``, the naming of ``guiagent run``'s folders."""
    return root / f"{time.strftime('%Y%m%d-%H%M%S')}-{label}-{uuid.uuid4().hex[:6]}"


def model_point(x: float, y: float, pixels: bool, shot: Size) -> Point:
    """The caller's point in the model's 0-1000 space.

    ``pixels``: (x, y) are pixels of the last screenshot (of size ``shot``);
    otherwise they already are thousandths. Off-screen points are refused.
    """
    if not pixels:
        return Point(x=x, y=y)
    if not (0 <= x < shot.width and 0 <= y < shot.height):
        raise OffScreenError(f"pixel ({x:g}, {y:g}) is outside the last screenshot ({shot}); "
                             "take a new screenshot and use its pixels, or 0-1000 without pixels")
    return Point(x=round(x / shot.width * MODEL_SCALE, 3), y=round(y / shot.height * MODEL_SCALE, 3))


class ToolSession:
    """One driver, its guard and model, and the session's run log."""

    def __init__(self, driver: Any, guard: ActionGuard, model: ModelClient | None = None,
                 settings: SessionSettings | None = None) -> None:
        self.driver = driver
        self.guard = guard
        self.model = model
        self.settings = settings or SessionSettings()
        self.log: RunLog | None = None
        self.last_shot: Size | None = None

    # -- life cycle ------------------------------------------------------------------
    def start(self) -> RunLog:
        """Start the driver and open the session's run folder."""
        self.driver.start()
        try:
            self.guard.on_run_start(self.driver)
            model = {} if self.model is None else {
                "base_url": strip_userinfo(self.model.settings.base_url),
                "name": self.model.settings.model}
            record = RunRecord(kind="mcp", task="tool calls of an MCP session (guiagent mcp)",
                               driver=self.driver.describe(), model=model)
            self.log = RunLog(new_run_dir(self.settings.runs_root, "mcp"), record,
                              redactor=redactor_of(self.driver))
        except BaseException:
            self.driver.close()
            raise
        return self.log

    def close(self, outcome: Outcome = "done", error: BaseException | None = None) -> Path | None:
        """Finish the run folder, write its report, close the driver; return the folder."""
        try:
            if self.log is None:
                return None
            self.log.finish(outcome, error=error)
            try:
                from ..replay import write_report

                write_report(self.log.dir)
            except GuiAgentError:  # the log is complete; the report is a convenience
                pass
            return self.log.dir
        finally:
            self.driver.close()

    @property
    def run_log(self) -> RunLog:
        """The session's log (ConfigError before :meth:`start`)."""
        if self.log is None:
            raise ConfigError("the session is not started")
        return self.log

    def redact(self, text: str) -> str:
        """``text`` with every secret value replaced by its placeholder."""
        return self.run_log.redactor.text(text)

    # -- looking -----------------------------------------------------------------
    def observe(self) -> Observation:
        """A fresh observation, scaled as configured."""
        return self.driver.observe().fitted(self.settings.max_image_pixels)

    def screenshot(self) -> Shot:
        """The screen now; later points refer to this image."""
        obs = self.observe()
        data, mime = obs.encoded(self.settings.image_format, self.settings.jpeg_quality)
        self.last_shot = obs.frame.screenshot
        return Shot(data=data, mime=mime, size=obs.frame.screenshot, url=obs.url, title=obs.title)

    # -- acting ------------------------------------------------------------------
    def act(self, make: Callable[[Size], Action]) -> str:
        """Run one action built from the last screenshot's size; log it; describe the outcome.

        Raises the guard's ActionRefusedError, or the driver's error, after logging the step.
        """
        log = self.run_log
        step = StepRecord(index=len(log.steps) + 1, started_at=time.time(), actor="tool")
        timings: dict[str, float] = {}
        try:
            t0 = time.perf_counter()
            obs = self._observe_into(step)
            timings["capture"] = time.perf_counter() - t0
            action = make(self.last_shot or obs.frame.screenshot)
            step.action, step.call = action, action.to_call()
            self._check_placeholders(action)
            t0 = time.perf_counter()
            try:
                try:
                    self.guard.before_action(step, action, obs)
                except ActionRefusedError as exc:
                    exc.by_guard = True  # type: ignore[attr-defined] # the policy could allow it
                    raise
                result = self.driver.act(action, obs.frame)
            finally:
                timings["execute"] = time.perf_counter() - t0
            step.executed, step.result = result.points, result.detail or "ok"
            self.guard.after_action(step, result)
        except GuiAgentError as exc:
            step.error = ErrorInfo.of(exc)
            step.result = ("refused" if isinstance(exc, ActionRefusedError) else
                           "not taken" if isinstance(exc, InputNotTakenError) else "error")
            raise
        finally:
            self._page_events(step)
            step.timings = {k: round(v, 5) for k, v in timings.items()}
            log.append_step(step)  # redacts the step in place
        return describe_step(step)

    def _check_placeholders(self, action: Action) -> None:
        """Refuse typing ``{{secret:NAME}}`` when the server holds no secrets (it would be typed
        literally); with secrets, the SecretsDriver refuses unknown names itself."""
        if isinstance(action, Type) and not isinstance(self.driver, SecretsDriver):
            found = PLACEHOLDER_RE.search(action.content)
            if found:
                name = found.group(1)
                raise ActionRefusedError(
                    f"there is no secret named {name}: this server holds no secrets; start it "
                    f"with GUIAGENT_SECRET_{name}=... in its environment (or --secret, "
                    "--secrets-file)")

    def _observe_into(self, step: StepRecord) -> Observation:
        obs = self.observe()
        self.guard.on_step_start(step.index, obs)
        data, _ = obs.encoded(self.settings.image_format, self.settings.jpeg_quality)
        step.screenshot = self.run_log.save_screenshot(step.index, data, obs.extension)
        step.frame, step.url, step.title = obs.frame, obs.url, obs.title
        return obs

    def _page_events(self, step: StepRecord) -> None:
        """Dialogs, downloads and tabs the action caused, as the agent records them."""
        collect = getattr(self.driver, "collect_page_events", None)
        if not callable(collect):
            return
        try:
            events = collect(self.run_log.dir)
        except GuiAgentError as exc:
            add_note(step, f"could not collect the page's events: {exc}")
            return
        if events:
            step.page_events = events
            for note in events.notes:
                add_note(step, note)

    # -- grounding ---------------------------------------------------------------
    def ground(self, description: str) -> dict[str, Any]:
        """Ask the model where ``description`` is on the screen now; log the request.

        Returns the box and its centre in 0-1000 and in pixels of the screenshot
        taken for it, which becomes the last screenshot.
        """
        model = self.need_model("ground")
        protocol = self.protocol
        query = protocol.grounding
        if query is None:
            raise ConfigError(f"the {protocol.name} protocol has no grounding query: start the "
                              "server with a --protocol that has one (glm41v-pc does)")
        log = self.run_log
        step = StepRecord(index=len(log.steps) + 1, started_at=time.time(), actor="tool",
                          call=f"ground({description!r})")
        try:
            obs = self._observe_into(step)
            self.last_shot = obs.frame.screenshot
            data, mime = obs.encoded(self.settings.image_format, self.settings.jpeg_quality)
            shot = obs.frame.screenshot
            request = query.request(description, data_url(data, mime), shot)
            body = request.extra_body
            reply = model.complete(request.messages, **({"extra_body": body} if body else {}))
            step.attempts = [Attempt(content=reply.content, reasoning=reply.reasoning,
                                     finish_reason=reply.finish_reason, usage=reply.usage,
                                     seconds=reply.seconds, transport_errors=reply.transport_errors)]
            step.usage, step.timings = reply.usage, {"model": round(reply.seconds, 5)}
            box = query.parse(reply.content, reply.reasoning)
            convention = protocol.coordinates  # the family's box, in thousandths of the screenshot
            top_left = convention.to_normalised(box.x1, box.y1, shot)
            bottom_right = convention.to_normalised(box.x2, box.y2, shot)
            return grounded(top_left.x, top_left.y, bottom_right.x, bottom_right.y, obs.frame, step)
        except GuiAgentError as exc:
            step.error, step.result = ErrorInfo.of(exc), "error"
            raise
        finally:
            log.append_step(step)

    @property
    def protocol(self) -> ProtocolAdapter:
        """The protocol delegated runs and grounding speak."""
        if self.settings.protocol is None:
            model = self.model.settings.model if self.model is not None else None
            self.settings.protocol = resolve_protocol(None, model)
        return self.settings.protocol

    def need_model(self, tool: str) -> ModelClient:
        """The model, or a ConfigError saying how to configure one."""
        if self.model is None:
            raise ConfigError(f"{tool} needs a model: start the server with --model-url URL of a "
                              "GLM-4.1V server (or set GUIAGENT_MODEL_URL)")
        return self.model


def grounded(x1: float, y1: float, x2: float, y2: float, frame: ScreenFrame,
             step: StepRecord) -> dict[str, Any]:
    """The grounding result for the caller (and its note in the step)."""
    x1, y1, x2, y2 = (round(v, 1) for v in (x1, y1, x2, y2))
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    sx, sy = frame.screenshot.width / MODEL_SCALE, frame.screenshot.height / MODEL_SCALE
    out = {"x": round(cx, 1), "y": round(cy, 1), "box": [x1, y1, x2, y2],
           "pixel_x": round(cx * sx), "pixel_y": round(cy * sy),
           "screenshot": {"width": frame.screenshot.width, "height": frame.screenshot.height}}
    step.result = f"found at [{cx:g},{cy:g}] (box [{x1:g},{y1:g},{x2:g},{y2:g}])"
    return out


def describe_step(step: StepRecord) -> str:
    """One line for the caller: what ran, where, and what it caused (from the redacted step)."""
    parts = [f"{step.call}: {step.result}"]
    for p in step.executed:
        parts.append(f"at ({p.screenshot.x:g}, {p.screenshot.y:g}) px of the screenshot")
    notes = step.extra.get("notes", [])
    if notes:
        parts.append("notes: " + " ".join(notes))
    return "; ".join(parts)
