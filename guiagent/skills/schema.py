"""The skill file format as pydantic models: parameters, targets and steps.

A skill names what to act on the way a person would ("the button Submit",
"the field labelled Email"), never by pixels, so it survives layout changes
and can be grounded without a model. Each step is a mapping with exactly one
action key (``click``, ``type``, ...) plus optional ``name``, ``when`` and
``optional``; short forms (``click: Submit``, ``key: ctrl+s``) are expanded
before validation. See docs/skills.md for the full reference.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from ..drivers.desktop_windows import AppSpec, WindowMatch
from ..keys import parse_combo
from .target import ClickSpec, Target
from .verify import VerifyItem

ParamType = Literal["string", "integer", "number", "boolean", "object", "list", "csv"]


class Parameter(BaseModel):
    """One input of a skill; without ``default`` it is required."""

    model_config = ConfigDict(extra="forbid")

    type: ParamType = "string"
    description: str = ""
    default: Any = None
    secret: bool = False  # never written to the run log (typed text shows as {{name}})

    @property
    def required(self) -> bool:
        """True when the caller must give a value."""
        return "default" not in self.model_fields_set


class TypeSpec(BaseModel):
    """``type:`` text, into a target field (clicked first) or the focused element."""

    model_config = ConfigDict(extra="forbid")

    text: str
    into: Target | None = None
    clear: bool = False  # select everything in the field first (ctrl+a)
    enter: bool = False  # press Enter afterwards

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data


class WaitForSpec(BaseModel):
    """``wait_for:`` text to appear (or disappear), the URL/title to change, or a desktop
    window to be mapped and idle (``window: {title: ..., class: ...}``)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    window: WindowMatch | None = None
    gone: bool = False
    url_contains: str | None = None
    title_contains: str | None = None
    timeout: float = Field(default=10.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _not_empty(self) -> WaitForSpec:
        if not (self.text or self.url_contains or self.title_contains or self.window):
            raise ValueError("wait_for needs text, url_contains, title_contains or window")
        return self


class CheckSpec(BaseModel):
    """``check:`` assertions on the current screen; the skill fails if one is false."""

    model_config = ConfigDict(extra="forbid")

    text_visible: str | None = None
    text_absent: str | None = None
    url_contains: str | None = None
    title_contains: str | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> CheckSpec:
        if not any((self.text_visible, self.text_absent, self.url_contains, self.title_contains)):
            raise ValueError("check needs text_visible, text_absent, url_contains or title_contains")
        return self


class AgentSpec(BaseModel):
    """``agent:`` a free-form sub-goal for the model-driven agent loop."""

    model_config = ConfigDict(extra="forbid")

    goal: str
    max_steps: int = Field(default=15, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        return {"goal": data} if isinstance(data, str) else data


class SelectSpec(BaseModel):
    """``select:`` open a dropdown found by its label and click one option by its text."""

    model_config = ConfigDict(extra="forbid")

    field: Target
    option: str


class FillFormSpec(BaseModel):
    """``fill_form:`` set every field of a record (label text -> value) on the form.

    ``submit: true`` then presses that form's own submit button, whatever its label.
    """

    model_config = ConfigDict(extra="forbid")

    record: Any
    submit: bool = False


class UploadSpec(BaseModel):
    """``upload:`` click a file field and give it one of the run's declared files."""

    model_config = ConfigDict(extra="forbid")

    field: Target
    file: str  # a declared file's name or path (``--upload-file``); template


class ScrollSpec(BaseModel):
    """``scroll:`` wheel clicks at a target (or the middle of the screen)."""

    model_config = ConfigDict(extra="forbid")

    direction: Literal["up", "down"] = "down"
    step: int = Field(default=5, ge=1, le=100)
    at: Target | None = None


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None      # shown in the log
    when: str | None = None      # template; the step is skipped when it renders falsy
    optional: bool = False       # a failure is logged and the skill goes on
    #: Repeat the step this often when no application took its input (nothing was entered).
    retries: int = Field(default=0, ge=0, le=10)


class ClickStep(_Step):
    """Click a described target."""

    click: ClickSpec


class TypeStep(_Step):
    """Type text, into a described field or the focused element."""

    type: TypeSpec


class KeyStep(_Step):
    """Press one key combination (``ctrl+s``)."""

    key: str

    @model_validator(mode="after")
    def _valid_keys(self) -> KeyStep:
        if "{{" not in self.key:
            try:
                parse_combo(self.key)
            except Exception as exc:
                raise ValueError(str(exc)) from exc
        return self


class WaitForStep(_Step):
    """Wait until text shows (or goes), or the URL/title matches."""

    wait_for: WaitForSpec


class WaitStep(_Step):
    """Sleep a number of seconds (prefer wait_for)."""

    wait: float = Field(gt=0, le=600)


class CheckStep(_Step):
    """Assert what the screen shows."""

    check: CheckSpec


class AgentStep(_Step):
    """Hand a sub-goal to the model-driven agent loop."""

    agent: AgentSpec


class SelectStep(_Step):
    """Choose an option of a dropdown."""

    select: SelectSpec


class UploadStep(_Step):
    """Attach a declared file to a file field, without the model."""

    upload: UploadSpec


class FillFormStep(_Step):
    """Fill a form from a record mapping label text to value."""

    fill_form: FillFormSpec


class ScrollStep(_Step):
    """Scroll with the mouse wheel."""

    scroll: ScrollSpec


class ForEachSpec(BaseModel):
    """``for_each:`` run ``steps`` once per item of a list, the item bound to ``as``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    items: Any
    as_: str = Field(default="item", alias="as", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    steps: list[Step]


class ForEachStep(_Step):
    """Repeat steps over a list (rows of a table, cells of a row)."""

    for_each: ForEachSpec


STEP_TYPES: dict[str, type[_Step]] = {
    "click": ClickStep, "type": TypeStep, "key": KeyStep, "wait_for": WaitForStep,
    "wait": WaitStep, "check": CheckStep, "agent": AgentStep, "select": SelectStep,
    "fill_form": FillFormStep, "scroll": ScrollStep, "for_each": ForEachStep,
    "upload": UploadStep,
}


def step_kind(value: Any) -> str | None:
    """Which action key a step holds (None unless exactly one)."""
    if isinstance(value, dict):
        kinds = [k for k in value if k in STEP_TYPES]
        return kinds[0] if len(kinds) == 1 else None
    for kind, cls in STEP_TYPES.items():
        if isinstance(value, cls):
            return kind
    return None


Step = Annotated[
    Annotated[ClickStep, Tag("click")] | Annotated[TypeStep, Tag("type")]
    | Annotated[KeyStep, Tag("key")] | Annotated[WaitForStep, Tag("wait_for")]
    | Annotated[WaitStep, Tag("wait")] | Annotated[CheckStep, Tag("check")]
    | Annotated[AgentStep, Tag("agent")] | Annotated[SelectStep, Tag("select")]
    | Annotated[FillFormStep, Tag("fill_form")] | Annotated[ScrollStep, Tag("scroll")]
    | Annotated[ForEachStep, Tag("for_each")] | Annotated[UploadStep, Tag("upload")],
    Discriminator(step_kind, custom_error_type="step_kind",
                  custom_error_message="a step needs exactly one of: " + ", ".join(STEP_TYPES)),
]
ForEachSpec.model_rebuild()


class Skill(BaseModel):
    """A reusable procedure: parameters and the steps that use them."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    parameters: dict[str, Parameter] = {}
    #: The desktop app the steps work in: `skill run --desktop` starts it and waits for it.
    app: AppSpec | None = None
    steps: list[Step] = Field(min_length=1)
    #: Checks that read the effect back once the steps are done (see verify.py).
    verify: list[VerifyItem] = []
    source: str | None = Field(default=None, exclude=True)  # the file it was loaded from

    def needs_model(self) -> bool:
        """True if some step can only be done by the model (an ``agent:`` step)."""
        return any(isinstance(s, AgentStep) for s in iter_steps(self.steps))


def iter_steps(steps: list[Any]) -> list[Any]:
    """All steps, nested ``for_each`` bodies included, in order."""
    out: list[Any] = []
    for step in steps:
        out.append(step)
        if isinstance(step, ForEachStep):
            out.extend(iter_steps(step.for_each.steps))
    return out
