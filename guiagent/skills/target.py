"""Targets: what a skill step acts on, described the way a person sees it.

No pixels: a target names a button's text, a field's label, a role or a
placeholder, and the grounding chain finds it on the current screen. The
``description`` is free wording for the model's grounding query, used only
when the DOM and OCR cannot find the target.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Why a target is looked for: to click it, to type into it, or to read it.
Purpose = Literal["click", "field", "read"]


class Target(BaseModel):
    """What to act on, described as a person sees it; at least one field is needed.

    ``text`` is whatever the element is called on screen (button or link text,
    label, placeholder, visible text); ``label``, ``role`` and ``placeholder``
    narrow it down; ``description`` is free wording for the model's grounding
    query; ``nth`` (1-based) picks one of several equal matches.
    """

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    label: str | None = None
    role: str | None = None
    placeholder: str | None = None
    description: str | None = None
    exact: bool = False
    nth: int | None = Field(default=None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _not_empty(self) -> Target:
        if not any((self.text, self.label, self.role, self.placeholder, self.description)):
            raise ValueError("a target needs at least one of text, label, role, placeholder, "
                             "description")
        return self

    def summary(self) -> str:
        """A short human wording of the target, used in logs and error messages."""
        if self.label:
            what = f"the field labelled {self.label!r}"
        elif self.placeholder:
            what = f"the field with placeholder {self.placeholder!r}"
        elif self.text:
            what = f"{self.role + ' ' if self.role else ''}{self.text!r}"
        elif self.role:
            what = f"the {self.role}"
        else:
            what = repr(self.description)
        return what + (f" (match {self.nth})" if self.nth else "")

    def model_query(self) -> str:
        """How the target is described to the model when DOM and OCR cannot find it."""
        if self.description:
            return self.description
        if self.label or self.placeholder:
            name = self.label or self.placeholder
            return f'the input field for "{name}"'
        if self.role:
            return f'the {self.role} "{self.text}"' if self.text else f"the {self.role}"
        return f'the element showing the text "{self.text}"'


class ClickSpec(Target):
    """``click:`` a target, optionally with another button or a double click."""

    button: Literal["left", "right", "middle"] = "left"
    double: bool = False
