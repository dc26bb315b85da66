"""GLM-4.5V's (and GLM-4.6V's) desktop ("pc") protocol.

Facts followed (docs/protocols.md, section glm45v): one single-turn user message
whose content interleaves text and images: the role, ``# Task:``,
``# Task Platform``, ``# Action Space`` (one ``### name`` block per action with
its ``Call rule:`` and a schema), then ``History:`` with one entry per earlier
step. The last four steps carry their screenshot at half size, placed right
after ``step k: Screenshot:``; older ones say ``(Omitted in context.)``. Each
entry ends ``Thought: <the answer's text without the call> Action: <the call>``,
box markers removed. The current ``Memory:``, the output format and notes
follow, and the current screenshot comes LAST, at full size (the reverse of
GLM-4.1V, where it comes first).

Answers are ``<think>...</think>`` then plain text holding the call (usually
inside ``<|begin_of_box|>...<|end_of_box|>``) and ``Memory:`` with a JSON list;
no ``<answer>`` tags. Coordinates are thousandths, 0-999, mapped as
``x / 1000 * width`` (the per-mille definition), so they share the 0-1000 model
space of :class:`~guiagent.actions.Point` unchanged.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import ModelResponseError
from .base import ALL_ACTIONS, ChatRequest, HistoryEntry, ParsedAnswer, ProtocolAdapter, StepInput
from .coordinates import THOUSANDTHS
from .family_template import family_template
from .glm41v_grounding import Glm41vGrounding
from .glm41v_parse import parse_answer, strip_box_markers
from .templates import Placeholder, packaged_text

if TYPE_CHECKING:
    from ..model import ModelReply

MAX_PREVIOUS_IMAGES = 4
TEMPLATE_FILE = "glm45v_pc.txt"
PLACEHOLDERS = (
    Placeholder("task", "the task, as the user gave it", required=True),
    Placeholder("history", "the earlier steps, each `\\nstep k: Screenshot:` then that step's "
                "half-size screenshot (the last 4) or `(Omitted in context.)`, then "
                "` Thought: ...\\nAction: ...`; the images are cut in where it stands",
                required=True),
    Placeholder("memory", "the latest memory, as JSON (a list)", required=True),
    Placeholder("action_space", "the `### name` action blocks (guiagent/prompts/"
                "glm45v_pc_actions.txt)"),
    Placeholder("platform", "`# Task Platform`: Ubuntu"),
    Placeholder("tips", "the run's tips (--tips, secrets guidance) as `- ` note lines, or empty; "
                "a template without it cannot take tips"),
)
_HISTORY_SLOT = "\x00history\x00"
#: Request body that turns GLM-4.5V/4.6V's thinking off (vLLM and SGLang chat templates).
THINKING_OFF = {"chat_template_kwargs": {"enable_thinking": False}}


def history_parts(entry: HistoryEntry) -> tuple[str, str]:
    """``(thought, call)`` of an earlier answer, as the history shows them.

    The thought is the answer's plain text without the call, the step's own
    ``Memory:`` part and the box markers; the call is the action as written.
    """
    text = strip_box_markers(entry.answer_text)
    text = text.split("Memory:")[0]
    call = entry.call
    if not call:
        try:
            call = parse_answer(text).call
        except ModelResponseError:
            call = ""
    thought = text.replace(call, "") if call else text
    return " ".join(thought.split()), call


class Glm45vProtocol:
    """Builds GLM-4.5V/4.6V pc-protocol requests and parses their answers.

    ``thinking``: None leaves the server's default (on); False sends
    ``chat_template_kwargs: {"enable_thinking": false}``; True asks for it explicitly.
    The coordinates are thousandths: the prompt says 0-999, and a value maps as
    ``x / 1000 * width`` (the per-mille definition the facts settle on).
    """

    name = "glm45v"
    actions = ALL_ACTIONS
    coordinates = THOUSANDTHS
    grounding = Glm41vGrounding()  # the same box answer: [[x1,y1,x2,y2]] in thousandths
    template_file = TEMPLATE_FILE
    placeholders = PLACEHOLDERS

    def __init__(self, tips: str | None = None, *, prompt_template: str | None = None,
                 thinking: bool | None = None, previous_images: int = MAX_PREVIOUS_IMAGES,
                 platform: str = "Ubuntu") -> None:
        self.tips = tips
        self.thinking = thinking
        self.previous_images = max(0, min(previous_images, MAX_PREVIOUS_IMAGES))
        self.platform = platform
        self.prompt_template = prompt_template
        self._template = family_template(prompt_template, TEMPLATE_FILE, PLACEHOLDERS,
                                         self.name, tips)
        self.action_space = packaged_text("glm45v_pc_actions.txt").strip()

    def with_tips(self, tips: str | None) -> Glm45vProtocol:
        """The same protocol with ``tips`` added to its own."""
        joined = "\n".join(t for t in (self.tips, tips) if t) or None
        return Glm45vProtocol(joined, prompt_template=self.prompt_template,
                              thinking=self.thinking, previous_images=self.previous_images,
                              platform=self.platform)

    @property
    def extra_body(self) -> dict[str, Any]:
        """What every request of this protocol adds to the body (thinking on or off)."""
        if self.thinking is None:
            return {}
        return {"chat_template_kwargs": {"enable_thinking": self.thinking}}

    def _text(self, task: str, memory: Any, correction: str | None) -> tuple[str, str]:
        """The prompt text before and after the history."""
        mem = memory if isinstance(memory, str) else json.dumps(memory, ensure_ascii=False)
        tips = "".join(f"\n- {line.strip()}" for line in (self.tips or "").splitlines()
                       if line.strip())
        if correction:
            tips += (f"\n- Your previous reply for this step could not be used: {correction} "
                     "Reply again with exactly one action from the action space.")
        text = self._template.substitute(task=task.strip(), platform=self.platform,
                                         action_space=self.action_space, history=_HISTORY_SLOT,
                                         memory=mem, tips=tips)
        head, _, tail = text.partition(_HISTORY_SLOT)
        return head, tail

    def build_request(self, step: StepInput) -> ChatRequest:
        """``[text, img, text, img, ..., text, current image]``: see the module docstring."""
        history = step.history
        head, tail = self._text(step.task, step.memory, step.correction)
        total = len(history)
        with_image = {i for i, e in enumerate(history) if e.thumbnail_url}
        with_image = set(sorted(with_image)[-self.previous_images:]) if self.previous_images else set()
        content: list[dict[str, Any]] = []
        images: list[dict[str, Any]] = []
        texts: list[str] = []
        text = head
        for i, entry in enumerate(history):
            thought, call = history_parts(entry)
            note = f" (note: {entry.note})" if entry.note else ""
            if i in with_image:
                text += f"\nstep {i + 1}: Screenshot:"
                content.append({"type": "text", "text": text})
                texts.append(text)
                content.append({"type": "image_url", "image_url": {"url": entry.thumbnail_url}})
                images.append({"role": "previous", "step": i + 1})
                text = ""
            else:
                text += f"\nstep {i + 1}: Screenshot:(Omitted in context.)"
            text += f" Thought: {thought}\nAction: {call}{note}"
        text += tail
        content.append({"type": "text", "text": text})
        texts.append(text)
        content.append({"type": "image_url", "image_url": {"url": step.image_url}})
        images.append({"role": "current", "step": total + 1})
        return ChatRequest(messages=[{"role": "user", "content": content}],
                           prompt="\n".join(texts), images=images, extra_body=self.extra_body)

    def parse(self, content: str, reasoning: str | None = None) -> ParsedAnswer:
        """Read the call (boxed, else the first known call) and the ``Memory:`` list.

        The answer text kept for the history is the plain text after ``</think>``
        (or from the start when a reasoning parser took the thought away).
        """
        return parse_answer(content, reasoning)

    def continuation(self, reply: ModelReply) -> str | None:
        """Close a thought the token limit cut off with ``</think>`` (4.5V has no ``<answer>``).

        None when the reply is not cut off inside its thought: it has ``</think>``,
        or thinking is off and nothing says a thought was going on.
        """
        text = reply.content or ""
        if reply.finish_reason != "length" or "</think>" in text:
            return None
        if not (reply.reasoning or "<think>" in text):
            return None  # an answer cut off after the thought: re-ask instead
        thought = (reply.reasoning or "") + text.replace("<think>", "")
        return f"<think>{thought}</think>"


if TYPE_CHECKING:  # mypy checks the class against the contract
    _conforms: ProtocolAdapter = Glm45vProtocol()
