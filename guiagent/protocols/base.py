"""The protocol adapter contract: how one model family is asked and answered.

A *protocol* (one per model family: ``glm41v-pc``, ``glm45v``, ``ui-tars``,
``qwen25vl``, ...) is everything the loop must not know about a model:

* how a step's request is laid out (:meth:`ProtocolAdapter.build_request` turns a
  :class:`StepInput` into chat messages: prompt text, image order, history);
* how an answer is read (:meth:`ProtocolAdapter.parse` gives a :class:`ParsedAnswer`
  whose action points are in the family's own coordinates);
* which coordinates those are (:attr:`ProtocolAdapter.coordinates`, a
  :class:`~guiagent.protocols.coordinates.CoordinateConvention`; the loop maps
  them through the step's :class:`~guiagent.geometry.ScreenFrame`);
* how a thought cut off by the token limit is continued
  (:meth:`ProtocolAdapter.continuation`; None when the family cannot);
* which actions it has (:attr:`ProtocolAdapter.actions`);
* optionally, how to ask "where is this description?" (:attr:`ProtocolAdapter.grounding`,
  used by skills when DOM and OCR cannot place a target);
* its prompt: a template file in ``guiagent/prompts/`` with documented
  ``$placeholders`` (:mod:`guiagent.protocols.templates`) that users may replace:
  optional attributes ``template_file`` (the file's name) and ``placeholders``
  (:class:`~guiagent.protocols.templates.Placeholder` values), else a module-level
  ``PLACEHOLDERS`` tuple of names; the registry checks a user's template against them.

The agent, the asker, skills, replay, eval and the CLI import only this module
and :mod:`guiagent.protocols.registry`; each family lives in its own module and
registers itself there in one line. ``docs/protocols.md`` explains how to add one.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, get_args

from PIL import Image

from ..actions import Action
from ..geometry import Size

if TYPE_CHECKING:
    from ..drivers.base import Observation
    from ..model import ModelReply
    from .coordinates import CoordinateConvention


#: Every action name guiagent can execute (``Action.action`` values).
ALL_ACTIONS: frozenset[str] = frozenset(
    cls.model_fields["action"].default for cls in get_args(get_args(Action)[0]))


@dataclass
class ParsedAnswer:
    """One model answer, split into its parts.

    ``action`` holds points in the family's coordinate convention (for
    glm41v-pc: thousandths of the screenshot); the loop maps them. ``call`` is
    the action as the model wrote it, ``answer_text`` the answer without the
    thought, which later prompts may show as history.
    """

    action: Action
    call: str
    thinking: str = ""
    answer_text: str = ""
    memory: Any = field(default_factory=list)
    #: Actions the family's interface performs right after ``action``, in the same step
    #: (GLM web's ``Type [N]; [text]``: select all, Backspace, the text, Enter). Each runs
    #: through the hooks and the driver like ``action``; the step stops at the first one
    #: refused or failed. The log keeps them in ``StepRecord.extra["then"]``.
    then: list[Action] = field(default_factory=list)


@dataclass
class HistoryEntry:
    """One finished step as later prompts see it.

    ``thumbnail_url`` is the step's screenshot at half size (GLM's history
    images), ``image_url`` the screenshot as it was sent (families that replay
    full-size history images), ``screenshot`` its size in pixels.
    """

    answer_text: str
    thumbnail_url: str | None = None
    note: str | None = None  # e.g. "the action was refused: ..." shown to the model
    image_url: str | None = None
    screenshot: Size | None = None
    call: str = ""


@dataclass
class StepInput:
    """Everything a protocol may put into one step's request.

    ``image_url`` is the current screenshot as a ``data:`` URL of ``screenshot``
    pixels (the image the model sees; points in pixel conventions refer to it).
    ``correction`` is set on a re-ask: what was wrong with the previous reply.
    ``url`` and ``title`` describe a browser page (None on a desktop).
    """

    task: str
    image_url: str
    screenshot: Size
    history: list[HistoryEntry] = field(default_factory=list)
    memory: Any = field(default_factory=list)
    correction: str | None = None
    url: str | None = None
    title: str | None = None

    @property
    def index(self) -> int:
        """The step's number, from 1."""
        return len(self.history) + 1


@dataclass
class ChatRequest:
    """The messages of one request, plus what the log keeps of them.

    ``prompt`` is the request's main text (shown in reports); ``images`` says,
    in message order, what each image is: ``{"role": "current" | "previous",
    "step": N}``. ``extra_body`` goes into the chat-completions body (e.g.
    ``chat_template_kwargs`` or ``response_format``) on top of the client's own.
    """

    messages: list[dict[str, Any]]
    prompt: str
    images: list[dict[str, Any]] = field(default_factory=list)
    extra_body: dict[str, Any] = field(default_factory=dict)


@dataclass
class GroundingAnswer:
    """A box (x1, y1, x2, y2) in the family's coordinates, and the text it came from.

    A family that answers with a point gives a box of zero size.
    """

    x1: float
    y1: float
    x2: float
    y2: float
    thinking: str = ""
    answer_text: str = ""


class GroundingQuery(Protocol):
    """Ask the model where a described element is, outside the agent loop (skills)."""

    def request(self, description: str, image_url: str, screenshot: Size) -> ChatRequest:
        """One request asking for the box of ``description`` in the image."""
        ...

    def parse(self, content: str, reasoning: str | None = None) -> GroundingAnswer:
        """Read the box (family coordinates); raise ModelResponseError when there is none."""
        ...


class ProtocolAdapter(Protocol):
    """Speaks one model family's GUI interface (see the module docstring).

    Families are constructed by the registry with keyword arguments
    ``tips`` (extra prompt text, e.g. secrets guidance) and ``prompt_template``
    (the text of a user's template file, or None for the family's own).
    """

    # Read-only members: a family may declare them as plain class attributes.

    @property
    def name(self) -> str:
        """The registry name, recorded in run.json as ``protocol``."""
        ...

    @property
    def actions(self) -> frozenset[str]:
        """The action names (``Action.action`` values) this family can answer with."""
        ...

    @property
    def coordinates(self) -> CoordinateConvention:
        """How this family's answer coordinates map to the screenshot."""
        ...

    @property
    def grounding(self) -> GroundingQuery | None:
        """How to ask "where is X?" in this family's words; None: it has no such query."""
        ...

    def build_request(self, step: StepInput) -> ChatRequest:
        """The request for the next action."""
        ...

    def parse(self, content: str, reasoning: str | None = None) -> ParsedAnswer:
        """Parse a raw answer; raise ModelResponseError when no action can be read."""
        ...

    def continuation(self, reply: ModelReply) -> str | None:
        """The assistant prefix that lets the server finish a reply cut off while thinking.

        None when the reply was not cut off inside its thought, or when the family
        cannot be continued; the asker then re-asks instead. The prefix is sent as a
        final assistant message with ``continue_final_message``; the continuation is
        appended to it and the whole text parsed.
        """
        ...

    def with_tips(self, tips: str | None) -> ProtocolAdapter:
        """A copy of this protocol whose prompt carries ``tips`` in addition to its own."""
        ...


def message_parts(messages: list[dict[str, Any]], *, roles: tuple[str, ...] | None = None,
                  ) -> tuple[list[str], list[Image.Image], list[str]]:
    """Texts, decoded ``data:`` images and their MIME types of chat messages, in order.

    Used wherever a request must be read back: the test model server and cassettes.
    """
    texts: list[str] = []
    images: list[Image.Image] = []
    mimes: list[str] = []
    for message in messages:
        if roles is not None and message.get("role", "user") not in roles:
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content or []:
            if part.get("type") == "text":
                texts.append(part["text"])
            elif part.get("type") == "image_url":
                header, _, b64 = part["image_url"]["url"].partition(",")
                if not header.startswith("data:"):
                    continue
                mimes.append(header.removeprefix("data:").split(";")[0])
                images.append(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB"))
    return texts, images, mimes


def check_driver(protocol: Any, driver: Any) -> None:
    """Raise ConfigError when ``protocol`` cannot work with ``driver`` (before it starts).

    Optional family method ``check_driver(driver)``: GLM web's set-of-marks needs
    a browser page, so a desktop run with it stops here with a clear message.
    """
    check = getattr(protocol, "check_driver", None)
    if callable(check):
        check(driver)


def prepares_observation(protocol: Any) -> bool:
    """True when ``protocol`` changes the observation before the model sees it."""
    return callable(getattr(protocol, "prepare_observation", None))


def prepare_observation(protocol: Any, driver: Any, observation: Observation) -> Observation:
    """The observation the model gets: what it shows, and what the log keeps.

    A family whose prompt needs more than the screenshot (GLM web's set-of-marks
    numbers the page's elements and draws them on it) has an optional method
    ``prepare_observation(driver, observation) -> Observation``; it runs once per
    step, before the screenshot is encoded, and may raise ConfigError for a
    driver it cannot use. Other families get the observation unchanged.
    """
    prepare = getattr(protocol, "prepare_observation", None)
    return observation if prepare is None else prepare(driver, observation)


def split_think(content: str | None, reasoning: str | None) -> tuple[str, str]:
    """(thinking, the rest) of an answer: the reasoning field plus a ``<think>`` block, or the
    text before a lone ``</think>`` (a template that opened the thought in the prompt)."""
    text = content or ""
    thinking = (reasoning or "").strip()
    think = re.search(r"<think>(.*?)</think>", text, re.DOTALL)
    if think:
        thinking = "\n".join(p for p in (thinking, think.group(1).strip()) if p)
        text = text[think.end():]
    elif "</think>" in text:
        head, _, text = text.partition("</think>")
        thinking = thinking or head.replace("<think>", "").strip()
    return thinking, text
