"""The pydantic models of a task's ``setup`` steps and ``evaluate`` checks.

Each step and each check is a mapping with exactly one key naming its kind
(``sql: {...}``, ``infeasible: true``), as in the issue's examples. A callable
discriminator picks the model from that key, so a validation error points at
``evaluate[2].sql.query`` (and from there at the file's line) instead of
listing every kind's complaint. Regular expressions and ``module:function``
names are checked here, at load time, not in the middle of a suite.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

_FUNCTION = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt option must not silently check nothing."""

    model_config = ConfigDict(extra="forbid")


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from exc
    return value


def _function(value: str) -> str:
    if not _FUNCTION.match(value):
        raise ValueError(f"{value!r} must look like package.module:function")
    return value


# --- checks -----------------------------------------------------------------------------------

class UrlSpec(Strict):
    """The final page URL ``equals`` a string or ``matches`` a regex (search)."""

    equals: str | None = None
    matches: str | None = None

    _re = field_validator("matches")(_regex)

    @model_validator(mode="after")
    def _one(self) -> UrlSpec:
        if (self.equals is None) == (self.matches is None):
            raise ValueError("give exactly one of equals or matches")
        return self


class UrlCheck(Strict):
    """``url: "{sandbox}/done"`` (equals) or ``url: {matches: "/thanks/\\d+$"}``."""

    url: UrlSpec

    @field_validator("url", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"equals": value} if isinstance(value, str) else value


class AnswerSpec(Strict):
    """The model's answer is ``exact``, ``includes`` all of, ``matches``, or is a ``number``."""

    exact: str | None = None
    includes: list[str] | None = None
    matches: str | None = None
    number: float | None = None
    tolerance: float = Field(default=0.0, ge=0)
    case_sensitive: bool = False

    _re = field_validator("matches")(_regex)

    @field_validator("includes", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _some(self) -> AnswerSpec:
        if all(v is None for v in (self.exact, self.includes, self.matches, self.number)):
            raise ValueError("give at least one of exact, includes, matches or number")
        return self


class AnswerCheck(Strict):
    """``answer: "42"`` (exact) or ``answer: {number: 42, tolerance: 0.5}``."""

    answer: AnswerSpec

    @field_validator("answer", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"exact": str(value)} if isinstance(value, str | int | float) else value


class DomSpec(Strict):
    """A CSS selector on the final page: its text contains ``text``, or its value equals ``value``."""

    selector: str
    text: str | None = None
    exact_text: str | None = None
    value: str | None = None
    count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _some(self) -> DomSpec:
        if all(v is None for v in (self.text, self.exact_text, self.value, self.count)):
            raise ValueError("give at least one of text, exact_text, value or count")
        return self


class DomCheck(Strict):
    """``dom: {selector: "#status", text: "Thank you"}``."""

    dom: DomSpec


class SqlSpec(Strict):
    """A read-only query on the episode's web sandbox SQLite and the rows it must return."""

    query: str
    expect: list[list[Any]]
    ordered: bool = True


class SqlCheck(Strict):
    """``sql: {query: "select count(*) from submissions", expect: [[1]]}``."""

    sql: SqlSpec


class FileSpec(BaseModel):
    """A file in the episode's work folder: exists, its text equals / contains / matches.

    Further keys (``cell``, ``paragraph``, ...) belong to file-format checkers
    registered with :func:`guiagent.eval.checks.register_file_option`; unknown
    ones are rejected when the task is checked (see ``checks.validate_task``).
    """

    model_config = ConfigDict(extra="allow")

    path: str
    exists: bool = True
    equals: str | None = None
    contains: str | list[str] | None = None
    matches: str | None = None

    _re = field_validator("matches")(_regex)

    @property
    def options(self) -> dict[str, Any]:
        """The keys beyond the built-in ones (for format checkers)."""
        return dict(self.model_extra or {})


class FileCheck(Strict):
    """``file: {path: report.txt, contains: "total: 42"}``."""

    file: FileSpec

    @field_validator("file", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str) else value


class InfeasibleCheck(Strict):
    """``infeasible: true``: success only when the agent answered FAIL."""

    infeasible: Literal[True]


class PythonSpec(Strict):
    """A custom check: ``function(ctx, **args)`` returns bool, (bool, evidence) or a CheckResult."""

    function: str
    args: dict[str, Any] = {}

    _fn = field_validator("function")(_function)


class PythonCheck(Strict):
    """``python: mypkg.checks:order_total_ok`` or ``python: {function: ..., args: {...}}``."""

    python: PythonSpec

    @field_validator("python", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"function": value} if isinstance(value, str) else value


class AnyCheck(Strict):
    """``any: [check, check, ...]``: at least one of them holds."""

    any: list[Check] = Field(min_length=1)


def _kind(value: Any) -> str | None:
    """The single key of a step/check mapping (None lets pydantic report the problem)."""
    if isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value)))
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return None


CHECK_KINDS = ("url", "answer", "dom", "sql", "file", "infeasible", "python", "any")

Check = Annotated[
    Annotated[UrlCheck, Tag("url")] | Annotated[AnswerCheck, Tag("answer")]
    | Annotated[DomCheck, Tag("dom")] | Annotated[SqlCheck, Tag("sql")]
    | Annotated[FileCheck, Tag("file")] | Annotated[InfeasibleCheck, Tag("infeasible")]
    | Annotated[PythonCheck, Tag("python")] | Annotated[AnyCheck, Tag("any")],
    Discriminator(_kind, custom_error_type="check_kind",
                  custom_error_message="a check is a mapping with one key, one of: "
                  + ", ".join(CHECK_KINDS)),
]
AnyCheck.model_rebuild()


def check_kind(check: BaseModel) -> str:
    """The key a check was written with (``sql``, ``any``, ...)."""
    return next(iter(type(check).model_fields))


# --- setup steps ------------------------------------------------------------------------------

class ResetStep(Strict):
    """``reset: true``: empty the web sandbox database (ids restart at 1)."""

    reset: Literal[True]


class SeedSpec(Strict):
    """Rows to insert into a table of the web sandbox database."""

    table: str = Field(pattern=r"^[A-Za-z_]\w*$")
    rows: list[dict[str, Any]] = Field(min_length=1)

    @field_validator("rows")
    @classmethod
    def _columns(cls, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            for column in row:
                if not re.match(r"^[A-Za-z_]\w*$", column):
                    raise ValueError(f"{column!r} is not a column name")
        return rows


class SeedStep(Strict):
    """``seed: {table: submissions, rows: [{form: contact, ...}]}`` (dicts/lists stored as JSON)."""

    seed: SeedSpec


class CopySpec(Strict):
    """Copy a file (relative to the suite file) into the episode's work folder."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from")
    to: str | None = None


class CopyStep(Strict):
    """``copy: {from: files/budget.xlsx, to: budget.xlsx}``."""

    copy_: CopySpec = Field(alias="copy")
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OpenStep(Strict):
    """``open: "{sandbox}/login"``: load a page (before the task's own ``url``)."""

    open: str


class PythonStep(Strict):
    """``python: module:function``: called with the episode context; a returned string
    replaces the instruction."""

    python: PythonSpec

    @field_validator("python", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"function": value} if isinstance(value, str) else value


SETUP_KINDS = ("reset", "seed", "copy", "open", "python")

SetupStep = Annotated[
    Annotated[ResetStep, Tag("reset")] | Annotated[SeedStep, Tag("seed")]
    | Annotated[CopyStep, Tag("copy")] | Annotated[OpenStep, Tag("open")]
    | Annotated[PythonStep, Tag("python")],
    Discriminator(_kind, custom_error_type="setup_kind",
                  custom_error_message="a setup step is a mapping with one key, one of: "
                  + ", ".join(SETUP_KINDS)),
]


class DesktopSpec(Strict):
    """A desktop task's world: apps to launch and files to place in the work folder."""

    apps: list[str | list[str]] = []
    files: list[CopySpec] = []
    size: str = "1280x720"
    wait_for: str | None = None

    @field_validator("apps")
    @classmethod
    def _apps(cls, value: list[str | list[str]]) -> list[str | list[str]]:
        """``calc``, ``"writer letter.docx"`` or a command list (checked when the file loads)."""
        from ..errors import ConfigError
        from .desktop_env import AppLaunch

        for entry in value:
            try:
                AppLaunch.parse(entry)
            except ConfigError as exc:
                raise ValueError(str(exc)) from exc
        return value

    @field_validator("size")
    @classmethod
    def _size(cls, value: str) -> str:
        from ..geometry import Size

        try:
            Size.parse(value)
        except ValueError as exc:
            raise ValueError(f"bad screen size {value!r}: expected WIDTHxHEIGHT such as 1280x720") \
                from exc
        return value
