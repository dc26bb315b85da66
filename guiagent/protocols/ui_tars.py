"""UI-TARS-1.5's computer-use protocol (``ui-tars``).

Facts followed (docs/protocols.md, "ui-tars"; OSWorld's UI-TARS-1.5 agent):

* a system message ``You are a helpful assistant.``, then one user message with
  the prompt (output format, action space, notes, the task);
* the history as chat turns: each earlier step's reply as an assistant message,
  its point markers restored (``start_box='<|box_start|>(x,y)<|box_end|>'``);
  each of the last four steps preceded by a user message holding that step's
  screenshot; older steps keep only their reply. The current screenshot comes
  last, alone in its user message: at most 5 images per request (serve with
  ``--limit-mm-per-prompt '{"image":5}'``);
* points in absolute pixels of the smart-resized image (factor 28, 100-16384
  blocks), mapped back through the screenshot's size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import ChatRequest, ParsedAnswer, ProtocolAdapter, StepInput
from .click_grounding import ClickGrounding
from .coordinates import SmartResizedPixels
from .family_template import family_template
from .templates import Placeholder
from .ui_tars_parse import add_box_tokens, parse_ui_tars

if TYPE_CHECKING:
    from ..model import ModelReply

SYSTEM = "You are a helpful assistant."
#: Earlier steps whose screenshots are replayed (OSWorld's history_n of 5, minus the current one).
HISTORY_IMAGES = 4
#: UI-TARS-1.5's published parser bounds (factor 28, 100..16384 blocks of 28x28).
COORDINATES = SmartResizedPixels(factor=28, min_pixels=100 * 28 * 28, max_pixels=16384 * 28 * 28)
ACTIONS = frozenset({"left_click", "left_double_click", "right_click", "left_drag", "key", "type",
                     "scroll", "WAIT", "DONE", "FAIL", "answer"})
TEMPLATE_FILE = "ui_tars.txt"
PLACEHOLDERS = (
    Placeholder("task", "the task, as the user gave it (under `## User Instruction`)",
                required=True),
    Placeholder("language", "the language the `Thought` part is written in (English)"),
    Placeholder("tips", "the run's tips (--tips, secrets guidance) as `- ` lines under "
                "`## Note`, or empty; a template without it cannot take tips"),
)


class UiTarsProtocol:
    """Builds UI-TARS-1.5 requests and parses its ``Thought:``/``Action:`` answers."""

    name = "ui-tars"
    actions = ACTIONS
    template_file = TEMPLATE_FILE
    placeholders = PLACEHOLDERS
    #: "Where is X?" asked as a one-step "Click X." task (:mod:`.click_grounding`).
    grounding: ClickGrounding

    def __init__(self, tips: str | None = None, *, prompt_template: str | None = None,
                 language: str = "English", history_images: int = HISTORY_IMAGES,
                 coordinates: SmartResizedPixels = COORDINATES) -> None:
        self.tips = tips
        self.prompt_template = prompt_template
        self.language = language
        self.history_images = max(0, min(history_images, HISTORY_IMAGES))
        self.coordinates = coordinates
        self._template = family_template(prompt_template, TEMPLATE_FILE, PLACEHOLDERS,
                                         self.name, tips)
        self.grounding = ClickGrounding(lambda: UiTarsProtocol(
            prompt_template=self.prompt_template, language=self.language, coordinates=self.coordinates))

    def with_tips(self, tips: str | None) -> UiTarsProtocol:
        """The same protocol with ``tips`` added to its own."""
        joined = "\n".join(t for t in (self.tips, tips) if t) or None
        return UiTarsProtocol(joined, prompt_template=self.prompt_template,
                              language=self.language, history_images=self.history_images,
                              coordinates=self.coordinates)

    def continuation(self, reply: ModelReply) -> str | None:
        """UI-TARS does not think at length: a cut-off reply is asked again."""
        return None

    def prompt_text(self, task: str) -> str:
        """The first user message: format, action space, notes and the task."""
        tips = "".join(f"- {line.strip()}\n" for line in (self.tips or "").splitlines()
                       if line.strip())
        return self._template.substitute(task=task.strip(), language=self.language, tips=tips)

    def build_request(self, step: StepInput) -> ChatRequest:
        """System, prompt, then the history as turns and the current screenshot last."""
        prompt = self.prompt_text(step.task)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": [{"type": "text", "text": prompt}]},
        ]
        images: list[dict[str, Any]] = []
        history = step.history
        first_with_image = len(history) - self.history_images
        notes: list[str] = []
        for index, entry in enumerate(history, start=1):
            url = entry.image_url or entry.thumbnail_url
            if index > first_with_image and url:
                content: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": url}}]
                content += [{"type": "text", "text": n} for n in notes]
                messages.append({"role": "user", "content": content})
                images.append({"role": "previous", "step": index})
                notes = []
            messages.append({"role": "assistant", "content": add_box_tokens(entry.answer_text)})
            if entry.note:
                notes.append(f"Note on step {index}: {entry.note}")
        current: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": step.image_url}}]
        current += [{"type": "text", "text": n} for n in notes]
        if step.correction:
            current.append({"type": "text", "text": (
                f"Your previous reply for this step could not be used: {step.correction} "
                "Reply again with a Thought: line and one Action: from the action space.")})
        messages.append({"role": "user", "content": current})
        images.append({"role": "current", "step": step.index})
        return ChatRequest(messages=messages, prompt=prompt, images=images)

    def parse(self, content: str, reasoning: str | None = None) -> ParsedAnswer:
        """Parse one answer (see :mod:`guiagent.protocols.ui_tars_parse`)."""
        return parse_ui_tars(content, reasoning)


if TYPE_CHECKING:  # mypy checks the class against the contract
    _conforms: ProtocolAdapter = UiTarsProtocol()
