"""How code outside the loop watches and steers a run: hooks, notes and StopRun.

Safety and budgets are hooks rather than branches in the loop (as Gymnasium's
wrappers are): the action guard, stuck detection and console progress are each
an :class:`AgentHooks`. A hook can

* refuse the action about to run by raising
  :class:`~guiagent.errors.ActionRefusedError` in ``before_action`` (the step
  records it and the model is told why in its next prompt);
* tell the model something in its next prompt with :func:`add_note`;
* end the run with an outcome by raising :class:`StopRun` (``stuck``, say);
* hold the loop between two steps (pause), and act on the screen itself through
  the :class:`StepControl` it gets there (a person taking over): those actions
  pass the same driver and hooks (the guard) and are logged as steps of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

from .runlog import Outcome, StepRecord

if TYPE_CHECKING:
    from .actions import Action
    from .drivers.base import ActionResult, Driver, Observation


class StopRun(Exception):  # noqa: N818 - a request, not an error
    """Raised by a hook to end the run now with ``outcome``; ``str()`` says why."""

    def __init__(self, outcome: Outcome, message: str) -> None:
        super().__init__(message)
        self.outcome: Outcome = outcome


class StepControl(Protocol):
    """What a hook may do between two steps (:meth:`AgentHooks.between_steps`)."""

    def observe(self) -> Observation:
        """The screen as the model would see it now."""

    def act(self, action: Action, *, actor: Literal["human", "tool"] = "human") -> StepRecord:
        """Run ``action`` through the hooks (the guard) and the driver; log it as a step.

        The model reads it in its history as something ``actor`` did, not itself.
        """

    def tell_model(self, text: str) -> None:
        """Add ``text`` to what the model reads about the last step in its next prompt."""


class AgentHooks:
    """Override any of these to watch or steer a run; raise ActionRefusedError to refuse."""

    def on_run_start(self, driver: Driver) -> None:
        """The driver is started and the first step is next."""

    def between_steps(self, control: StepControl) -> None:
        """Before each step (the first included): block to pause; act through ``control``."""

    def on_step_start(self, index: int, observation: Observation) -> None:
        """A step begins with this observation."""

    def before_action(self, step: StepRecord, action: Action, observation: Observation) -> None:
        """The action is about to run; raise ActionRefusedError to stop it."""

    def after_action(self, step: StepRecord, result: ActionResult) -> None:
        """The action ran."""

    def on_step_end(self, step: StepRecord) -> None:
        """The step is recorded."""

    def on_model_delta(self, step: StepRecord, kind: str, text: str) -> None:
        """A piece of the model's reply arrived while it streams.

        ``kind`` is ``"thinking"`` or ``"answer"``; ``text`` is the new piece only.
        Never called when the server does not stream. Must be quick: it runs on the
        thread that reads the stream.
        """


def add_note(step: StepRecord, text: str) -> None:
    """Show ``text`` to the model with this step in its next prompt (and keep it in the log)."""
    step.extra.setdefault("notes", []).append(text)


def step_note(step: StepRecord) -> str | None:
    """Everything the model should be told about ``step``: a refusal, then hooks' notes."""
    notes = []
    if step.error is not None and step.result == "refused":
        notes.append(f"that action was refused and not executed: {step.error.message}")
    elif step.error is not None and step.result == "not taken":
        notes.append(f"that action had no effect, no application took the input: "
                     f"{step.error.message}")
    notes.extend(step.extra.get("notes", []))
    return " ".join(notes) or None
