"""Steering one run from the page: pause, resume, stop, approve, take over.

:class:`LiveControl` is an :class:`~guiagent.hooks.AgentHooks` plus the
guard's ``confirm`` function. The web server's threads call its commands; the
agent's thread meets them at the hooks:

* between two steps (``between_steps``) the loop blocks while the run is
  paused, and while a person has taken over it runs their actions there,
  through the same :class:`~guiagent.hooks.StepControl` (driver, guard, log)
  as the model's own; giving control back tells the model what happened;
* ``before_action`` ends the run (:class:`~guiagent.hooks.StopRun`) once stop
  was pressed, so a model step that was thinking does not act;
* the guard asks the page (:meth:`confirm`) and waits for an answer up to
  ``confirm_timeout``; no answer rejects the action (or stops the run, if the
  policy says so).

Everything the page shows comes from events published here (:mod:`.events`).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from typing import Any, Literal

from ..actions import Action, Type, action_points
from ..drivers.base import ActionResult, Observation
from ..errors import ActionRefusedError, GuiAgentError
from ..hooks import AgentHooks, StepControl, StopRun
from ..runlog import StepRecord
from ..secrets import PLACEHOLDER_RE, SecretsDriver, redactor_of
from ..takeover import GIVE_BACK_NOTE
from .events import EventHub

TimeoutPolicy = Literal["reject", "stop"]
TEXT_LIMIT = 20_000
KEPT_SCREENS = 4
QUEUED_ACTIONS = 50  # a person's actions waiting for the agent's thread, at most


class NotTakenOverError(GuiAgentError):
    """An action was sent for a run that the person has not taken over."""


class LiveControl(AgentHooks):
    """Commands from the page, met by the agent's thread at its hooks."""

    def __init__(self, hub: EventHub, *, confirm_timeout: float = 120.0,
                 on_timeout: TimeoutPolicy = "reject", image_format: str = "jpeg",
                 jpeg_quality: int = 85) -> None:
        self.hub = hub
        self.confirm_timeout, self.on_timeout = confirm_timeout, on_timeout
        self.image_format, self.jpeg_quality = image_format, jpeg_quality
        self._cond = threading.Condition()
        self._paused = self._taken = self._stopping = self._blocked = False
        self._acted = self._need_screen = False
        self._actions: deque[Action] = deque()
        self._confirm: dict[str, Any] | None = None
        self._confirm_ids = itertools.count(1)
        self._screen_ids = itertools.count(1)
        self._screens: dict[int, tuple[bytes, str, Observation]] = {}
        self.request_stop: Any = None  # the agent's request_stop, set by whoever runs it
        self._secrets = False  # the run's driver substitutes {{secret:NAME}}
        self.state = "starting"
        self._last_state: dict[str, Any] = {}

    def follow(self, agent: Any) -> None:
        """Steer ``agent``: Stop ends its run; screenshots are shown as it encodes them; its
        secrets are redacted from every event."""
        self.request_stop = agent.request_stop
        self.image_format, self.jpeg_quality = agent.config.image_format, agent.config.jpeg_quality
        self.hub.redact_with(redactor_of(agent.driver))  # the run's secrets, in any event
        self._secrets = isinstance(agent.driver, SecretsDriver)

    # ---- commands (web server threads) ----

    def pause(self) -> None:
        """Hold the run before its next step."""
        with self._cond:
            self._paused = True
            self._cond.notify_all()
        self._publish_state()

    def resume(self) -> None:
        """Let the run go on (gives control back too)."""
        with self._cond:
            self._paused = self._taken = False
            self._cond.notify_all()
        self._publish_state()

    def take_over(self) -> None:
        """Pause, and let the person act on the screen until :meth:`resume`."""
        with self._cond:
            self._paused = self._taken = self._need_screen = True
            self._cond.notify_all()
        self._publish_state()

    def stop(self) -> None:
        """End the run: now if it is held, else before its next action."""
        with self._cond:
            self._stopping = True
            if self._confirm is not None and self._confirm["answer"] is None:
                self._confirm["answer"] = False
            self._cond.notify_all()
        if self.request_stop is not None:
            self.request_stop("stopped from the live view")
        self._publish_state()

    def submit(self, action: Action) -> None:
        """Queue a person's action; it runs on the agent's thread between steps."""
        found = PLACEHOLDER_RE.search(action.content) if isinstance(action, Type) else None
        if found and not self._secrets:  # it would be typed into the page as it is
            raise ActionRefusedError(
                f"this run holds no secrets, so {{{{secret:{found.group(1)}}}}} cannot be typed: "
                f"start guiagent ui with GUIAGENT_SECRET_{found.group(1)}=... in its environment "
                "(or --secret, --secrets-file)")
        with self._cond:
            if self._stopping:
                raise NotTakenOverError("the run is ending; it takes no more actions")
            if not self._taken:
                raise NotTakenOverError("take over the run before acting on its screen")
            if len(self._actions) >= QUEUED_ACTIONS:
                raise NotTakenOverError(f"{QUEUED_ACTIONS} actions are already waiting to run; "
                                        "wait for the screen to update")
            self._actions.append(action)
            self._cond.notify_all()

    def answer(self, confirm_id: int, allow: bool) -> bool:
        """Answer the held confirmation ``confirm_id``; False when it is no longer open."""
        with self._cond:
            pending = self._confirm
            if pending is None or pending["id"] != confirm_id or pending["answer"] is not None:
                return False
            pending["answer"] = allow
            self._cond.notify_all()
        return True

    def screen(self, version: int) -> tuple[bytes, str] | None:
        """An image recently shown to the page, by its number."""
        with self._cond:
            kept = self._screens.get(version)
        return (kept[0], kept[1]) if kept else None

    def frame_of(self, version: int) -> Observation | None:
        """The observation behind a shown image (its frame maps clicks on it)."""
        with self._cond:
            kept = self._screens.get(version)
        return kept[2] if kept else None

    # ---- the guard's question (agent thread) ----

    def confirm(self, question: str) -> bool:
        """Ask the page; wait up to ``confirm_timeout``; no answer applies the timeout policy."""
        with self._cond:
            pending = {"id": next(self._confirm_ids), "answer": None}
            self._confirm = pending
        deadline = time.time() + self.confirm_timeout
        question = self.hub.redactor.text(question)[:2000]  # redacted before it is cut short
        self.hub.publish({"type": "confirm", "id": pending["id"], "question": question,
                          "deadline": deadline, "timeout": self.confirm_timeout})
        self._publish_state("waiting for approval")
        with self._cond:
            answered = self._cond.wait_for(lambda: pending["answer"] is not None,
                                           timeout=self.confirm_timeout)
            self._confirm = None
        allow = bool(pending["answer"]) if answered else False
        verdict = "allowed" if allow else ("timed out" if not answered else "rejected")
        self.hub.publish({"type": "confirm_done", "id": pending["id"], "verdict": verdict})
        self._publish_state()
        if not answered and self.on_timeout == "stop":
            raise StopRun("interrupted", f"no one answered the confirmation within "
                                         f"{self.confirm_timeout:g}s; the run was stopped")
        return allow

    # ---- hooks (agent thread) ----

    def between_steps(self, control: StepControl) -> None:
        """Hold the loop while paused; run the person's actions while taken over."""
        while True:
            with self._cond:
                if self._stopping:
                    raise StopRun("interrupted", "stopped from the live view")
                action = self._actions.popleft() if self._actions else None
                if action is None and not self._paused:
                    give_back, self._acted, self._blocked = self._acted, False, False
                    break
                show = self._taken and self._need_screen and action is None
                if show:
                    self._need_screen = False
                newly_held = action is None and not show and not self._blocked
                self._blocked = self._blocked or newly_held
                if action is None and not show and not newly_held:
                    self._cond.wait()
                    continue
            if newly_held:
                self._publish_state()
                continue
            if show:
                self._show(control.observe(), after=None)
                continue
            assert action is not None
            step = control.act(action, actor="human")
            with self._cond:
                self._acted = True
            self._show(control.observe(), after=step.index)
        if give_back:
            control.tell_model(GIVE_BACK_NOTE)
        self._publish_state()

    def on_run_start(self, driver: Any) -> None:
        """The run began."""
        self._publish_state()

    def on_step_start(self, index: int, observation: Observation) -> None:
        """Show the screen this step starts from."""
        self.hub.publish({"type": "step_start", "index": index})
        self._show(observation, index=index)

    def before_action(self, step: StepRecord, action: Action, observation: Observation) -> None:
        """Once stop was pressed, no action runs."""
        if self._stopping:
            raise StopRun("interrupted", "stopped from the live view before this action ran")

    def after_action(self, step: StepRecord, result: ActionResult) -> None:
        """Nothing to do: the step's event follows when it is recorded."""

    def on_step_end(self, step: StepRecord) -> None:
        """Publish the recorded step (the redacted record)."""
        self.hub.publish(step_event(step))

    def on_model_delta(self, step: StepRecord, kind: str, text: str) -> None:
        """Pass a streamed piece of the reply on to the page."""
        self.hub.publish({"type": "delta", "index": step.index, "kind": kind, "text": text})

    def finished(self, outcome: str, *, answer: str | None = None, error: str | None = None,
                 report: str | None = None, totals: dict[str, Any] | None = None) -> None:
        """The run ended: say how, and end the pages' streams."""
        with self._cond:
            self._stopping = True  # nothing more can be queued
            self._actions.clear()
        self.state = "finished"
        self.hub.publish({"type": "state", "state": "finished"})
        self.hub.publish({"type": "finished", "outcome": outcome, "answer": answer,
                          "error": error, "report": report, "totals": totals or {}})
        self.hub.close()

    # ---- helpers ----

    def _show(self, obs: Observation, *, index: int | None = None, after: int | None = None) -> None:
        data, mime = obs.encoded(self.image_format, self.jpeg_quality)
        with self._cond:
            version = next(self._screen_ids)
            self._screens[version] = (data, mime, obs)
            for old in [v for v in self._screens if v <= version - KEPT_SCREENS]:
                del self._screens[old]
        size = obs.frame.screenshot
        self.hub.publish({"type": "screen", "version": version, "index": index, "after": after,
                          "width": size.width, "height": size.height})

    def _publish_state(self, state: str | None = None) -> None:
        if self.state == "finished":
            return
        with self._cond:
            if state is None:
                if self._stopping:
                    state = "stopping"
                elif self._taken:
                    state = "taken over" if self._blocked else "taking over"
                elif self._paused:
                    state = "paused" if self._blocked else "pausing"
                else:
                    state = "running"
            event = {"type": "state", "state": state, "paused": self._paused,
                     "taken": self._taken and self._blocked}
            if event == self._last_state:  # nothing new for the page
                return
            self.state, self._last_state = state, event
        self.hub.publish(event)


def _short(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "…"


def step_event(step: StepRecord) -> dict[str, Any]:
    """What the page shows of a step: text, points on its screenshot, timings and tokens."""
    width = step.frame.screenshot.width if step.frame else 1
    height = step.frame.screenshot.height if step.frame else 1
    predicted = []
    if step.action is not None:
        predicted = [[min(max(p.x, 0), 1000) / 1000 * width, min(max(p.y, 0), 1000) / 1000 * height]
                     for p in action_points(step.action)]
    return {
        "type": "step", "index": step.index, "actor": step.actor, "call": _short(step.call),
        "thinking": _short(step.thinking), "answer": _short(step.answer_text),
        "result": step.result, "error": _short(step.error.message) if step.error else None,
        "predicted": predicted,
        "executed": [[p.screenshot.x, p.screenshot.y] for p in step.executed],
        "timings": step.timings, "usage": step.usage.model_dump(),
        "notes": [_short(str(n)) for n in step.extra.get("notes", []) or []],
        "guard": step.extra.get("guard"),
    }
