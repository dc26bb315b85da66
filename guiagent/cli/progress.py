"""Live progress of a run on the terminal (stderr), as an AgentHooks."""

from __future__ import annotations

from rich.console import Console

from ..agent import AgentHooks
from ..runlog import StepRecord


class ConsoleProgress(AgentHooks):
    """Prints one line per step: index, action, executed point, timings."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)

    def on_step_end(self, step: StepRecord) -> None:
        """Print the finished step."""
        t = step.timings
        what = step.call or "(no action)"
        where = ""
        if step.executed:
            p = step.executed[0]
            where = f" -> ({p.surface.x:.0f},{p.surface.y:.0f})"
        # The first line only: a run-ending error is printed in full once, at the end.
        status = ""
        if step.error:
            first = (step.error.message.splitlines() or [""])[0]
            status = f" [red]{step.error.type}: {first}[/red]"
        retries = f" [yellow]{len(step.attempts) - 1} re-ask(s)[/yellow]" if len(step.attempts) > 1 else ""
        self.console.print(
            f"[bold]step {step.index}[/bold] {what}{where}  "
            f"[dim]model {t.get('model', 0):.2f}s exec {t.get('execute', 0):.2f}s[/dim]"
            f"{retries}{status}", soft_wrap=True, markup=True)
