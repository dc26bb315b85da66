"""Steps someone other than the model takes in the middle of a run (a person taking over).

The loop hands a :class:`LoopControl` to every hook between two steps
(:meth:`~guiagent.hooks.AgentHooks.between_steps`). A hook that holds the loop
there (the live UI while a person has control) can run actions through it:
each one is a step of the run like the model's own (screenshot, action,
executed points, page events, timings), runs through the same hooks (the
guard refuses or asks exactly as for the model) and the same driver, and is
recorded with ``actor`` ``human`` (or ``tool``). The model reads it in its
history as something the person did, so that when control returns it knows
why the screen changed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal

from .actions import Action
from .drivers.base import Observation
from .hooks import step_note
from .protocols.base import HistoryEntry
from .runlog import RunLog, StepRecord

if TYPE_CHECKING:
    from .agent import Agent

#: What the model is told when a person hands control back (the live UI's "Give back").
GIVE_BACK_NOTE = ("The person gave control back to you: continue the task from the screen as "
                  "it is now.")
WHO = {"human": "The person supervising you took control and did this themselves",
       "tool": "A tool acting on this screen did this"}


def history_text(step: StepRecord) -> str:
    """How the model reads a step it did not take."""
    return f"{WHO.get(step.actor, WHO['human'])}: {step.call or '(nothing)'}"


class LoopControl:
    """A :class:`~guiagent.hooks.StepControl` for one run of an agent (used on its thread)."""

    def __init__(self, agent: Agent, log: RunLog, history: list[HistoryEntry]) -> None:
        self.agent, self.log, self.history = agent, log, history

    def observe(self) -> Observation:
        """The screen now, scaled as the model gets it."""
        return self.agent.driver.observe().fitted(self.agent.config.max_image_pixels)

    def act(self, action: Action, *, actor: Literal["human", "tool"] = "human") -> StepRecord:
        """Run ``action`` through the hooks and the driver, and log it as ``actor``'s step.

        A refusal (the guard) or input no application took is recorded on the step,
        as for the model; :class:`~guiagent.hooks.StopRun` ends the run as usual.
        """
        agent, cfg, timings = self.agent, self.agent.config, {}
        step = StepRecord(index=len(self.log.steps) + 1, started_at=time.time(), actor=actor)
        t0 = time.perf_counter()
        obs = self.observe()
        timings["capture"] = time.perf_counter() - t0
        for hook in agent.hooks:
            hook.on_step_start(step.index, obs)
        data, _ = obs.encoded(cfg.image_format, cfg.jpeg_quality)
        step.screenshot = self.log.save_screenshot(step.index, data, obs.extension)
        step.frame, step.url, step.title = obs.frame, obs.url, obs.title
        step.action, step.call = action, action.to_call()
        try:
            if not action.terminal:
                agent._execute(step, action, obs, timings)
        finally:
            agent._page_events(step, self.log)
            step.timings = {k: round(v, 5) for k, v in timings.items()}
            self.log.append_step(step)  # redacts the step in place: the history reads it after
            for hook in agent.hooks:
                hook.on_step_end(step)
        self.history.append(HistoryEntry(answer_text=history_text(step), note=step_note(step),
                                         thumbnail_url=agent._thumbnail(obs)))
        return step

    def tell_model(self, text: str) -> None:
        """Append ``text`` to the note of the last step in the model's history."""
        if not self.history:
            return
        last = self.history[-1]
        last.note = f"{last.note} {text}" if last.note else text
