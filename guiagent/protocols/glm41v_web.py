"""GLM-4.1V's web protocol (set-of-marks), for browser runs.

Facts followed (docs/protocols.md, section glm41v-web): one user message,
``[image, text]``. The image is the page's screenshot with a numbered, dashed
box on every interactive element (:mod:`.som`); the text says the task as
``"<task>", Please interact with <url> and get the answer``, the actions, the
answer layout, the last 15 steps as ``<i>.Thought:...  Action:...
Observation:...`` lines (i from 0), ``Memory:`` with a JSON object, and the
element list ``[N]: <tag> "text";`` joined by tabs.

The answer is ``<think>...</think><answer>Thought: ...\\nAction: ...\\n
Memory_Updated: {json}</answer>`` (the ``<answer>`` tags may be missing). Its
actions name elements, never coordinates: ``Click [N]`` is executed as a left
click on element N's centre, ``Type [N]; [text]`` as that click, select-all,
Backspace, the text and Enter (the protocol's "delete existing content, type,
ENTER"), each a normal action through the driver and the action guard.
``Scroll [N or WINDOW]; [up or down]`` turns the wheel 5 notches over the
element (or the page's centre), ``GoBack`` is Alt+Left, ``Key; [Return]``
presses Enter, ``ANSWER; <content>...</content>`` ends the task. ``Bing``
(jump to a search engine) is refused with a message: a run stays on its site.

Only a browser can be marked: a desktop run with this protocol is a
:class:`~guiagent.errors.ConfigError`.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..actions import Action, Answer, Key, LeftClick, Point, Scroll, Type, Wait
from ..errors import ConfigError, ModelResponseError
from ..keys import combo_text, parse_combo
from .base import ChatRequest, HistoryEntry, ParsedAnswer, ProtocolAdapter, StepInput
from .coordinates import THOUSANDTHS
from .family_template import family_template
from .glm41v_parse import split_answer
from .som import Marks, draw_marks, read_marks
from .templates import Placeholder

if TYPE_CHECKING:
    from ..drivers.base import Observation
    from ..geometry import ScreenFrame
    from ..model import ModelReply

HISTORY_STEPS = 15
TEMPLATE_FILE = "glm41v_web.txt"
PLACEHOLDERS = (
    Placeholder("task", "the task, as the user gave it", required=True),
    Placeholder("elements", "the labelled elements, `[N]: <tag> \"text\";` joined by tabs",
                required=True),
    Placeholder("url", "the page's address (the task's `Please interact with ...`)"),
    Placeholder("history", "the last 15 steps, `i.Thought:...        Action:...        "
                "Observation:...` lines (i from 0), or empty"),
    Placeholder("memory", "the memory the model kept, as JSON (an object)"),
    Placeholder("tips", "the run's tips (--tips, secrets guidance) under `Tips:`, or empty; a "
                "template without it cannot take tips"),
)
SCROLL_NOTCHES = 5
_LABELS = ("Thought:", "Action:", "Memory_Updated:")
_CLICK = re.compile(r"click\s*\[?\s*(\d+)\s*\]?", re.I)
_TYPE = re.compile(r"type\s*\[?\s*(\d+)\s*\]?\s*[;:,]?\s*(.*)", re.I | re.S)
_SCROLL = re.compile(r"scroll\s*\[?\s*(\d+|window)\s*\]?\s*[;:,]?\s*\[?\s*(up|down)\b", re.I)
_ANSWER = re.compile(r"answer\s*[;:]?\s*(.*)", re.I | re.S)
_KEY = re.compile(r"key\s*[;:]?\s*\[?\s*([^\]\n]+?)\s*\]?\s*$", re.I)
_CONTENT = re.compile(r"<content>(.*?)(?:</content>|$)", re.S)


def labelled(text: str) -> dict[str, str]:
    """The ``Thought:``, ``Action:`` and ``Memory_Updated:`` parts of an answer body."""
    found = sorted((start, label) for label in _LABELS
                   if (start := _label_start(label, text)) is not None)
    parts: dict[str, str] = {}
    for i, (start, label) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(text)
        parts[label] = text[start + len(label):end].strip()
    return parts


def _label_start(label: str, text: str) -> int | None:
    """Where ``label`` starts a line (a thought may mention "Action:" in passing), else anywhere."""
    line = re.search(r"(?m)^[ \t]*" + re.escape(label), text)
    if line is not None:
        return line.end() - len(label)
    anywhere = text.find(label)
    return anywhere if anywhere >= 0 else None


def read_memory(text: str) -> Any:
    """The ``Memory_Updated`` JSON object; the raw text if it is not JSON, {} if empty."""
    text = text.strip()
    if not text:
        return {}
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
        return value
    except (json.JSONDecodeError, RecursionError):
        return text


def _unbracket(text: str) -> str:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return text[1:-1]
    return text


class Glm41vWebProtocol:
    """Builds GLM-4.1V web-protocol requests on marked screenshots and parses their answers.

    An instance holds the current step's marks (``marks``, ``frame``) between
    :meth:`prepare_observation` and :meth:`parse`: give each concurrent run its own
    (the registry, eval and ``guiagent run`` make one per run).
    """

    name = "glm41v-web"
    actions = frozenset({"left_click", "key", "type", "scroll", "WAIT", "answer"})
    grounding = None
    template_file = TEMPLATE_FILE
    placeholders = PLACEHOLDERS
    coordinates = THOUSANDTHS  # element points are computed by guiagent, in thousandths

    def __init__(self, tips: str | None = None, prompt_template: str | None = None) -> None:
        self.tips = tips
        self.prompt_template = prompt_template
        self._template = family_template(prompt_template, TEMPLATE_FILE, PLACEHOLDERS,
                                         self.name, tips)
        self.marks: Marks | None = None
        self.frame: ScreenFrame | None = None

    def with_tips(self, tips: str | None) -> Glm41vWebProtocol:
        """A copy whose prompt also carries ``tips``."""
        joined = "\n".join(t for t in (self.tips, tips) if t) or None
        return Glm41vWebProtocol(joined, prompt_template=self.prompt_template)

    def check_driver(self, driver: Any) -> None:
        """ConfigError unless ``driver`` drives a browser page (checked before it starts)."""
        if not hasattr(driver, "page"):
            raise ConfigError(
                "the glm41v-web protocol numbers the elements of a web page, so it needs a "
                "browser run (--url); for the desktop use --protocol glm41v-pc or glm45v")

    def prepare_observation(self, driver: Any, observation: Observation) -> Observation:
        """Number the page's elements and draw the marks on the screenshot the model gets."""
        from ..drivers.base import Observation

        self.check_driver(driver)
        page = driver.page
        if page is None:
            raise ConfigError("the browser has no page to number elements in: start the driver")
        self.marks, self.frame = read_marks(page), observation.frame
        image = draw_marks(observation.pil(), self.marks, observation.frame)
        return Observation(frame=observation.frame, image=image, url=observation.url,
                           title=observation.title, captured_at=observation.captured_at,
                           capture_seconds=observation.capture_seconds)

    def prompt_text(self, step: StepInput) -> str:
        """The text part of the request."""
        lines = []
        for i, entry in enumerate(step.history[-HISTORY_STEPS:]):
            lines.append(f"{i}.{history_line(entry)}")
        memory = step.memory if step.memory not in (None, []) else {}
        tips = f"\nTips:\n{self.tips.strip()}\n" if self.tips else ""
        if step.correction:
            tips += (f"\nYour previous reply for this step could not be used: {step.correction} "
                     "Reply again in the layout of B with one action from A.\n")
        listing = self.marks.listing() if self.marks is not None else ""
        return self._template.substitute(
            task=step.task.strip(), url=step.url or "the current page", tips=tips,
            history="\n".join(lines) + ("\n" if lines else ""),
            memory=memory if isinstance(memory, str) else json.dumps(memory, ensure_ascii=False),
            elements=listing or "(no labelled elements)")

    def build_request(self, step: StepInput) -> ChatRequest:
        """The marked screenshot, then the text."""
        prompt = self.prompt_text(step)
        content = [{"type": "image_url", "image_url": {"url": step.image_url}},
                   {"type": "text", "text": prompt}]
        return ChatRequest(messages=[{"role": "user", "content": content}], prompt=prompt,
                           images=[{"role": "current", "step": step.index}])

    def parse(self, content: str, reasoning: str | None = None) -> ParsedAnswer:
        """Read ``Thought`` / ``Action`` / ``Memory_Updated`` and turn the action into events."""
        thinking, body = split_answer(content, reasoning)
        parts = labelled(body)
        call = parts.get("Action:")
        if call is None:
            raise ModelResponseError(
                "no 'Action:' line in the answer: reply with Thought:, Action: (e.g. "
                "Click [3]) and Memory_Updated: lines", raw=content)
        try:
            action, then = self.action_of(call)
        except ModelResponseError as exc:
            raise ModelResponseError(str(exc), raw=content) from None
        return ParsedAnswer(action=action, call=call, thinking=thinking, answer_text=body,
                            memory=read_memory(parts.get("Memory_Updated:", "")), then=then)

    def action_of(self, call: str) -> tuple[Action, list[Action]]:
        """The action an ``Action:`` line asks for, and the ones that follow it in the step."""
        text = call.strip().strip("`").strip()
        word = re.match(r"[A-Za-z_]+", text)
        head = word.group(0).lower() if word else ""
        if head == "click" and (m := _CLICK.match(text)):
            point, name = self._element(int(m.group(1)))
            return LeftClick(start_box=point, element_info=name), []
        if head == "type" and (m := _TYPE.match(text)):
            point, name = self._element(int(m.group(1)))
            typed = _unbracket(m.group(2))
            return LeftClick(start_box=point, element_info=name), [
                Key(keys="ctrl+a"), Key(keys="backspace"), Type(content=typed), Key(keys="enter")]
        if head == "scroll" and (m := _SCROLL.match(text)):
            target = m.group(1).lower()
            point, name = (Point(x=500, y=500), "the page") if target == "window" \
                else self._element(int(target))
            return Scroll(start_box=point, direction=m.group(2).lower(),  # type: ignore[arg-type]
                          step=SCROLL_NOTCHES, element_info=name), []
        if head == "wait":
            return Wait(), []
        if head == "goback":
            return Key(keys="alt+left"), []
        if head in ("bing", "google"):
            raise ModelResponseError(
                "Bing is not available in this run: stay on the task's site and use its "
                "pages, or give ANSWER")
        if head == "answer" and (m := _ANSWER.match(text)):
            given = m.group(1)
            inner = _CONTENT.search(given)
            return Answer(content=(inner.group(1) if inner else _unbracket(given)).strip()), []
        if head == "key" and (m := _KEY.match(text)):
            try:
                return Key(keys=combo_text(parse_combo(_unbracket(m.group(1))))), []
            except Exception as exc:  # noqa: BLE001 - ActionRefusedError or ValueError: a bad key name
                raise ModelResponseError(f"cannot press {m.group(1)!r}: {exc}") from None
        raise ModelResponseError(
            f"cannot read the action {text[:120]!r}: use Click [N], Type [N]; [text], "
            f"Scroll [N or WINDOW]; [up or down], Wait, GoBack, Key; [Return] or "
            f"ANSWER; <content>...</content>")

    def _element(self, index: int) -> tuple[Point, str]:
        if self.marks is None or self.frame is None:
            raise ModelResponseError("this step has no labelled screenshot to find elements in")
        try:
            element = self.marks.element(index)
        except ValueError as exc:
            raise ModelResponseError(str(exc)) from None
        name = (element.name or element.aria)[:80]
        return self.marks.point(index, self.frame), f"[{index}] {element.tag} {name}".strip()

    def continuation(self, reply: ModelReply) -> str | None:
        """Close a thought cut off by the token limit with ``</think><answer>``, as for GLM-4.1V."""
        text = reply.content or ""
        if (reply.finish_reason != "length" or "</think>" in text or "<answer>" in text
                or not (text.strip() or reply.reasoning)):
            return None
        thought = (reply.reasoning or "") + text.replace("<think>", "")
        return f"<think>{thought}</think><answer>"


def history_line(entry: HistoryEntry) -> str:
    """``Thought:...        Action:...        Observation:...`` for one earlier step."""
    parts = labelled(entry.answer_text)
    thought = " ".join(parts.get("Thought:", "").split())
    action = " ".join((entry.call or parts.get("Action:", "")).split())
    observation = " ".join((entry.note or "Success").split())
    return f"Thought:{thought}        Action:{action}        Observation:{observation}"


if TYPE_CHECKING:  # mypy checks the class against the contract
    _conforms: ProtocolAdapter = Glm41vWebProtocol()
