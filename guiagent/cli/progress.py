"""Live progress of a run on the terminal (stderr), as an AgentHooks."""

from __future__ import annotations

from rich.console import Console

from ..agent import AgentHooks
from ..runlog import StepRecord
from .terminal import console as terminal_console
from .terminal import styled


class ConsoleProgress(AgentHooks):
    """Prints one line per step: index, action, executed point, timings, tokens.

    The step's text (the action, its error) comes from the model and the page:
    it is printed as text, never as markup (:mod:`.terminal`).
    """

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or terminal_console()

    def on_step_end(self, step: StepRecord) -> None:
        """Print the finished step."""
        t = step.timings
        what = step.call or "(no action)"
        where = ""
        if step.executed:
            p = step.executed[0]
            where = f" -> ({p.surface.x:.0f},{p.surface.y:.0f})"
        parts: list[str | tuple[object, str]] = [
            (f"step {step.index}" + (f" ({step.actor})" if step.actor != "model" else ""), "bold"),
            f" {what}{where}  ",
            (f"model {t.get('model', 0):.2f}s exec {t.get('execute', 0):.2f}s", "dim")]
        if step.tokens is not None and step.tokens.total:
            parts.append((f" {step.tokens.total:,} tokens", "dim"))
        if len(step.attempts) > 1:
            parts += [" ", (f"{len(step.attempts) - 1} re-ask(s)", "yellow")]
        if step.error:
            # The first line only: a run-ending error is printed in full once, at the end.
            first = (step.error.message.splitlines() or [""])[0]
            parts += [" ", (f"{step.error.type}: {first}", "red")]
        self.console.print(styled(*parts))
