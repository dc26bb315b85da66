"""``--show-thinking``: the model's thought on the terminal as it streams.

The thought is the model's text, so it is hostile: it is printed through
:func:`~.terminal.styled` (never parsed as markup, control characters made
visible). When the server does not stream, the step's whole thought is printed
once the step ends instead.
"""

from __future__ import annotations

from rich.console import Console

from ..hooks import AgentHooks
from ..runlog import StepRecord
from .terminal import console as terminal_console
from .terminal import styled

THINKING_STYLE = "dim italic"


class ThinkingPrinter(AgentHooks):
    """Prints each step's thinking live (dimmed), then a line break before the step line."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or terminal_console()
        self._streamed = False
        self._attempt: int | None = None  # the request being printed (attempts before it)

    def on_step_start(self, index: int, observation: object) -> None:
        """A new step: nothing printed for it yet."""
        self._streamed, self._attempt = False, None

    def on_model_delta(self, step: StepRecord, kind: str, text: str) -> None:
        """Print a piece of thinking as it arrives (a re-ask's thought on a line of its own)."""
        if kind != "thinking" or not text:
            return
        attempt = len(step.attempts)  # finished requests of this step: this one is the next
        if attempt != self._attempt:
            if self._attempt is not None:
                self.console.print()
            again = f", request {attempt + 1}" if attempt else ""
            self.console.print(styled((f"thinking (step {step.index}{again}): ", "dim")), end="")
            self._attempt = attempt
        self._streamed = True
        self.console.print(styled((text, THINKING_STYLE)), end="")

    def on_step_end(self, step: StepRecord) -> None:
        """End the streamed thought's line; print the thought whole if nothing streamed."""
        if self._streamed:
            self.console.print()
        elif step.thinking.strip():
            self.console.print(styled((f"thinking (step {step.index}): ", "dim"),
                                      (step.thinking.strip(), THINKING_STYLE)))
        self._streamed, self._attempt = False, None


def thinking_hooks(show: bool, console: Console | None = None) -> list[AgentHooks]:
    """``[ThinkingPrinter]`` when ``--show-thinking`` is on (put it before the step printer)."""
    return [ThinkingPrinter(console)] if show else []
