"""Model cassettes: answer the agent's model requests from a recorded run.

:class:`CassetteModelClient` implements :class:`guiagent.model.ModelClient`.
The agent loop runs for real (fresh screenshots, request building, parsing,
the real driver), but each request is answered with the answer recorded for
the same step and re-ask, so a recorded run becomes an offline regression
test. Before answering, the request is checked against the recording:

* the current screenshot (the first image) against the recorded screenshot of
  that step, with :func:`guiagent.replay.diff.image_difference`; over the
  threshold the recorded answer no longer fits the screen, so the cassette
  raises :class:`~guiagent.errors.CassetteMismatchError` and the run stops;
* the prompt text against ``StepRecord.request.prompt``. The log keeps the
  prompt of a step's last request only, so that one is compared; a difference
  is reported (with a diff) but the recorded answer is still given.

The replaying agent tells the cassette which step it is on and what its
screenshot is (:meth:`CassetteModelClient.at_step`, called by a hook), so
the cassette does not depend on any family's request layout. Used on its own,
it falls back to reading the step from the prompt's history, which lists
earlier steps as ``step N: ...`` lines (the GLM-4.1V pc protocol), and takes
the first image as the current screenshot.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, NoReturn, TypeGuard

from PIL import Image

from ..errors import CassetteMismatchError, ModelConnectionError, ModelError
from ..model import DEFAULT_MODEL, ModelReply, ModelSettings
from ..protocols.base import message_parts
from ..runlog import ErrorInfo, StepRecord, read_run
from .diff import DEFAULT_THRESHOLD, DiffResult, image_difference
from .result import MismatchKind, ReplayMismatch
from .safety import blind_message, recorded_screenshot

_STEP_LINE = re.compile(r"^step (\d+): ", re.MULTILINE)
DIFF_LINES = 12


def history_steps(prompt: str) -> int:
    """How many earlier steps the prompt's history lists (``step 1:`` ... ``step N:``)."""
    history = prompt.rsplit("# History", 1)[-1]
    seen = {int(n) for n in _STEP_LINE.findall(history)}
    count = 0
    while count + 1 in seen:
        count += 1
    return count


def request_parts(messages: list[dict[str, Any]]) -> tuple[str, Image.Image | None]:
    """The user's text and first (current) image in a chat request.

    Assistant messages (the prefix of a continued thought) are not part of the prompt.
    """
    texts, images, _ = message_parts(messages, roles=("user",))
    return "\n".join(texts), (images[0] if images else None)


def holds_prompt(messages: list[dict[str, Any]], prompt: str) -> bool:
    """True when the request's user text is the recorded prompt, or one of its text parts is.

    A single-message family's prompt is its whole text; a multi-turn family records
    its main text, which is one part among others.
    """
    texts: list[str] = []
    for message in messages:
        if message.get("role", "user") not in ("system", "user"):
            continue
        content = message.get("content")
        parts = [content] if isinstance(content, str) else [
            p.get("text", "") for p in content or [] if p.get("type") == "text"]
        texts.extend(parts)
    # Families join text parts around interleaved images either way (GLM-4.5V: directly).
    return prompt in texts or prompt in ("\n".join(texts), "".join(texts))


def prompt_diff(recorded: str, new: str) -> str:
    """The first lines of a unified diff between the recorded and the new prompt."""
    lines = list(difflib.unified_diff(recorded.splitlines(), new.splitlines(), "recorded", "new",
                                      n=0, lineterm=""))
    shown = lines[2:2 + DIFF_LINES]
    more = len(lines) - 2 - len(shown)
    return "\n".join(shown) + (f"\n... {more} more line(s)" if more > 0 else "")


def _request_failure(error: ErrorInfo | None) -> TypeGuard[ErrorInfo]:
    """True for a request that failed (server, transport), not an answer that did not parse."""
    return error is not None and error.type != "ModelResponseError"


def _recorded_error(error: ErrorInfo) -> ModelError:
    cls = ModelConnectionError if error.type == "ModelConnectionError" else ModelError
    return cls(f"(as recorded) {error.message}")


class CassetteModelClient:
    """A :class:`~guiagent.model.ModelClient` that plays back a run's recorded answers."""

    def __init__(self, run_dir: str | Path, *, threshold: float = DEFAULT_THRESHOLD,
                 check_prompt: bool = True, force: bool = False) -> None:
        self.run_dir = Path(run_dir)
        #: Give answers for steps without a recorded screenshot (not compared: blind).
        self.force = force
        self.record, steps = read_run(self.run_dir)
        self.steps: dict[int, StepRecord] = {s.index: s for s in steps}
        self.threshold = threshold
        self.check_prompt = check_prompt
        self.settings = ModelSettings(base_url=f"cassette:{self.run_dir}",
                                      model=self.record.model.get("name") or DEFAULT_MODEL)
        self.used: dict[int, int] = {}
        """Recorded answers given so far, per step."""
        self.differences: dict[int, DiffResult] = {}
        self.mismatches: list[ReplayMismatch] = []
        self._current: tuple[int, Image.Image] | None = None

    def at_step(self, index: int, screenshot: Image.Image) -> None:
        """The agent is on step ``index`` with this screenshot (as sent to the model)."""
        self._current = (index, screenshot)

    def complete(self, messages: list[dict[str, Any]], **extra: Any) -> ModelReply:
        """Answer with the recorded reply for this step and re-ask, after checking the request."""
        text, image = request_parts(messages)
        if self._current is not None:
            index, image = self._current
        else:
            index = history_steps(text) + 1
        recorded = self.steps.get(index)
        if recorded is None:
            self._refuse(index, "request_count", f"the recording has no step {index}: the new "
                         f"run asks the model more often than the recorded one did")
        n = self.used.get(index, 0)
        if n == 0:
            self._check_screenshot(recorded, image)
        self.used[index] = n + 1
        if n >= len(recorded.attempts):
            failure = recorded.error  # logs before failed requests became attempts
            if n == len(recorded.attempts) and _request_failure(failure):
                raise _recorded_error(failure)
            self._refuse(index, "request_count", f"step {index} asks the model {n + 1} time(s); "
                         f"the recording has {len(recorded.attempts)} answer(s)")
        attempt = recorded.attempts[n]
        if (self.check_prompt and n == len(recorded.attempts) - 1 and recorded.request is not None
                and not holds_prompt(messages, recorded.request.prompt)):
            self.mismatches.append(ReplayMismatch(
                step=index, kind="prompt",
                detail="the prompt differs from the recorded one:\n"
                       + prompt_diff(recorded.request.prompt, text)))
        if _request_failure(attempt.error):
            raise _recorded_error(attempt.error)  # the recorded request failed: fail the same way
        return ModelReply(content=attempt.content, reasoning=attempt.reasoning,
                          finish_reason=attempt.finish_reason, usage=attempt.usage, seconds=0.0)

    def unused(self) -> list[ReplayMismatch]:
        """Recorded answers the new run never asked for (call when the run has ended)."""
        if any(m.kind != "prompt" for m in self.mismatches):
            return []  # the cassette stopped the run itself; that is already reported
        last = max(self.used, default=0)
        out = [ReplayMismatch(step=index, kind="request_count",
                              detail=f"the recording asked the model {len(step.attempts)} "
                                     f"time(s) at this step, the new run {self.used.get(index, 0)}")
               for index, step in sorted(self.steps.items())
               if index <= last and self.used.get(index, 0) < len(step.attempts)]
        later = [index for index, step in self.steps.items() if index > last and step.attempts]
        if later:
            out.append(ReplayMismatch(
                step=last, kind="request_count",
                detail=f"the new run stopped asking after step {last}; the recording went on "
                       f"to step {max(later)}"))
        return out

    def _check_screenshot(self, recorded: StepRecord, image: Image.Image | None) -> None:
        path = recorded_screenshot(self.run_dir, recorded)
        if path is None and recorded.action is not None and not recorded.action.terminal \
                and not self.force:
            self._refuse(recorded.index, "blind", blind_message(recorded.index))
        if image is None or path is None:
            return
        with Image.open(path) as reference:
            diff = image_difference(reference.convert("RGB"), image)
        self.differences[recorded.index] = diff
        if diff.over(self.threshold):
            self._refuse(recorded.index, "screenshot",
                         f"{diff.describe()}; the threshold is {self.threshold:.1%}",
                         score=diff.score)

    def _refuse(self, index: int, kind: MismatchKind, detail: str,
                score: float | None = None) -> NoReturn:
        self.mismatches.append(ReplayMismatch(step=index, kind=kind, detail=detail, score=score))
        raise CassetteMismatchError(f"step {index}: {detail}")
