"""Replay logs: one directory per run, readable by people and by tools.

Layout (format version 1, see docs/replay-log.md)::

    RUN_DIR/
      run.json        the run: task, model, protocol, driver, versions, outcome, totals
      steps.jsonl     one StepRecord per line, appended and flushed as each step ends
      screenshots/    step-0001.jpg ... the image the model saw at each step

``run.json`` is written when the run starts (outcome ``running``) and rewritten
atomically whenever it changes, so a killed run still has one. A step's line is
in ``steps.jsonl`` (in the kernel, so a SIGKILL cannot lose it) before
:meth:`RunLog.append_step` returns; the rewrite of ``run.json`` after a step and
the ``fsync`` calls run on a writer thread (:mod:`guiagent.log_writer`), off the
step's path, and are finished when the run ends (:meth:`RunLog.finish`).
"""

from __future__ import annotations

import functools
import json
import os
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .actions import Action
from .drivers.page_records import PageEvents
from .errors import LogFormatError
from .files import inside, open_new_for_append, prepare_run_dir, write_atomic
from .geometry import ResolvedPoint, ScreenFrame
from .log_writer import BackgroundWriter
from .model import TokenUsage
from .redaction import NO_SECRETS, Redactor, has_userinfo
from .tokens import Price, TokenSplit, split_tokens, total_split

LOG_FORMAT_VERSION = 1
Outcome = Literal["running", "done", "failed", "answered", "max_steps", "max_time", "error",
                  "interrupted", "stuck", "diverged"]
PHASES = ("capture", "encode", "request_build", "model", "parse", "execute")


class ErrorInfo(BaseModel):
    """An error recorded on a step or a run."""

    type: str
    message: str

    @classmethod
    def of(cls, exc: BaseException) -> ErrorInfo:
        """Record an exception."""
        return cls(type=type(exc).__name__, message=str(exc))


class Attempt(BaseModel):
    """One request to the model for a step (re-asks add more)."""

    content: str = ""
    reasoning: str | None = None
    finish_reason: str | None = None
    error: ErrorInfo | None = None
    usage: TokenUsage = TokenUsage()
    seconds: float = 0.0
    #: Seconds to the first streamed token; None when the reply was not streamed.
    first_token_seconds: float | None = None
    #: Completion tokens per second after the first (streamed replies with usage only).
    tokens_per_second: float | None = None
    #: (width, height) of each image the request carried: what its visual tokens are computed from.
    image_sizes: list[tuple[int, int]] = []
    #: The tokens by kind (filled in when the step is logged; absent in older logs).
    tokens: TokenSplit | None = None
    transport_errors: list[str] = []


class RequestSummary(BaseModel):
    """What was sent, minus the image bytes (screenshots are files of the log)."""

    prompt: str
    images: list[dict[str, Any]] = []
    image_bytes: int = 0


class StepRecord(BaseModel):
    """Everything about one step of a run."""

    model_config = ConfigDict(extra="allow")

    index: int
    started_at: float
    #: Who chose the action: the model, a person taking over (live UI), or a tool
    #: caller (MCP). Absent in older logs, where it was always the model.
    actor: Literal["model", "human", "tool"] = "model"
    screenshot: str | None = None
    frame: ScreenFrame | None = None
    url: str | None = None
    title: str | None = None
    request: RequestSummary | None = None
    attempts: list[Attempt] = []
    thinking: str = ""
    answer_text: str = ""
    memory: Any = None
    action: Action | None = None
    call: str | None = None
    executed: list[ResolvedPoint] = []
    result: str = ""
    error: ErrorInfo | None = None
    timings: dict[str, float] = {}
    usage: TokenUsage = TokenUsage()
    #: The step's tokens by kind: the sum of its attempts' (absent in older logs).
    tokens: TokenSplit | None = None
    #: Dialogs, uploads, downloads and tabs of a browser step (absent in older logs).
    page_events: PageEvents | None = None
    extra: dict[str, Any] = {}


class RunTotals(BaseModel):
    """Sums over the steps of a run."""

    steps: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = {}
    usage: TokenUsage = TokenUsage()
    tokens: TokenSplit = TokenSplit()
    #: USD at the run's price (None: no price was given).
    cost_usd: float | None = None
    model_requests: int = 0


@functools.cache
def this_boot_id() -> str | None:
    """This boot of this machine (Linux); a pid means something only within one boot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


class RunRecord(BaseModel):
    """The contents of run.json."""

    model_config = ConfigDict(extra="allow")

    format_version: int = LOG_FORMAT_VERSION
    kind: str = "agent"
    task: str
    model: dict[str, Any] = {}
    protocol: str = ""
    driver: dict[str, Any] = {}
    versions: dict[str, str] = Field(default_factory=lambda: software_versions())
    started_at: float = Field(default_factory=time.time)
    ended_at: float | None = None
    outcome: Outcome = "running"
    answer: str | None = None
    error: ErrorInfo | None = None
    totals: RunTotals = RunTotals()
    #: The model's price per million tokens when one was given (cost figures use it).
    price: Price | None = None
    #: The process that wrote the log, and the boot of the machine it ran on: a run still
    #: ``running`` whose process is gone was killed (see :func:`shown_outcome`).
    pid: int | None = Field(default_factory=os.getpid)
    boot_id: str | None = Field(default_factory=this_boot_id)
    extra: dict[str, Any] = {}


def shown_outcome(record: RunRecord) -> Outcome:
    """The outcome to show: ``interrupted`` for a run left ``running`` by a process that is
    gone (SIGKILL, a crash, a server that stopped mid-run) on this machine since its boot."""
    if record.outcome != "running" or not record.pid or record.pid <= 0 or record.boot_id is None \
            or record.boot_id != this_boot_id():
        return record.outcome
    try:
        os.kill(record.pid, 0)
    except ProcessLookupError:
        return "interrupted"
    except (OSError, OverflowError):  # alive and someone else's, or no pid at all (a hostile file)
        pass
    return record.outcome


_M = TypeVar("_M", bound=BaseModel)


def software_versions() -> dict[str, str]:
    """Versions worth knowing when a run is read months later."""
    return dict(_software_versions())


@functools.cache
def _software_versions() -> dict[str, str]:
    """Read once per process: package metadata parsing costs ~0.1 s (every evaluation episode)."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for dist in ("guiagent", "playwright", "openai", "pydantic", "mss", "pyautogui"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


class RunLog:
    """Writes one run directory; every write leaves it readable.

    Everything written passes through one :class:`~guiagent.redaction.Redactor`
    (secret values in any encoding, URL credentials): the step and run records
    are redacted *in place* before they are written, so what hooks print and
    what the model is told about a step afterwards is the redacted text too.
    Files are written through a new temporary file and a rename
    (:func:`~guiagent.files.write_atomic`), never through an existing link, and
    a folder that already holds files is refused unless ``overwrite``.
    """

    def __init__(self, run_dir: str | Path, record: RunRecord, *,
                 redactor: Redactor | None = None, overwrite: bool = False) -> None:
        self.dir = prepare_run_dir(run_dir, overwrite)
        (self.dir / "screenshots").mkdir(exist_ok=True)
        self.redactor = redactor or NO_SECRETS
        self.record = record
        self.steps: list[StepRecord] = []
        self._steps_file = os.fdopen(open_new_for_append(self.dir / "steps.jsonl"), "a",
                                     encoding="utf-8")
        self._writer = BackgroundWriter()
        self._run_version = 0
        self.write_run()

    def save_screenshot(self, index: int, data: bytes, extension: str) -> str:
        """Write the screenshot of step ``index``; return its path relative to the run."""
        rel = f"screenshots/step-{index:04d}.{extension}"
        write_atomic(self.dir / rel, data)
        return rel

    def save_file(self, rel: str, data: bytes) -> str:
        """Write any extra file into the run directory."""
        path = inside(self.dir, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
        return rel

    def redact(self, model: _M) -> _M:
        """Redact every string of ``model`` in place (and return it)."""
        clean = type(model).model_validate(
            self.redactor.data(model.model_dump(mode="json", by_alias=True)))
        model.__dict__.update(clean.__dict__)
        if model.__pydantic_extra__ is not None:
            model.__pydantic_extra__ = clean.__pydantic_extra__
        return model

    def _redacted_json(self, model: BaseModel, **dump: Any) -> str:
        """``model`` redacted in place, as JSON.

        The fast path: with no secrets registered, only URL credentials are
        redacted; when the JSON text holds none (the same pattern finds in the JSON
        whatever it finds in the strings, unless a control character, written as
        ``\\u00XX``, sits inside one), the record is written as it is, without the
        dump/validate round trip.
        """
        text = model.model_dump_json(by_alias=True, **dump)
        if self.redactor or "\\u00" in text or has_userinfo(text):
            self.redact(model)
            text = model.model_dump_json(by_alias=True, **dump)
        return text

    def append_step(self, step: StepRecord) -> None:
        """Count its tokens by kind, redact the step, append it as a JSON line (in the file
        when this returns).

        ``run.json``'s totals are rewritten on the writer thread; a step with an
        error also has ``steps.jsonl`` synced to disk there.
        """
        account(step, self.record.protocol)
        line = self._redacted_json(step)
        self.steps.append(step)
        self._steps_file.write(line + "\n")
        self._steps_file.flush()
        self._update_totals()
        self._submit_run()
        if step.error is not None:
            fd = self._steps_file.fileno()
            self._writer.submit(lambda: os.fsync(fd))

    def finish(self, outcome: Outcome, *, answer: str | None = None,
               error: BaseException | ErrorInfo | None = None) -> RunRecord:
        """Record the outcome, write everything to disk and close the log."""
        self.record.outcome = outcome
        self.record.answer = answer
        if error is not None:
            self.record.error = error if isinstance(error, ErrorInfo) else ErrorInfo.of(error)
        self.record.ended_at = time.time()
        self._update_totals()
        try:
            self._writer.close()
        finally:
            self.write_run()
            if not self._steps_file.closed:
                self._steps_file.flush()
                os.fsync(self._steps_file.fileno())
                self._steps_file.close()
        return self.record

    def flush(self) -> None:
        """Wait for the writer thread: run.json then holds every appended step's totals."""
        self._writer.drain()

    def write_run(self) -> None:
        """Redact the run record and rewrite run.json atomically (now, after queued writes)."""
        self._writer.drain()
        self._run_version += 1
        write_atomic(self.dir / "run.json", self._redacted_json(self.record, indent=2))

    def _submit_run(self) -> None:
        """Rewrite run.json on the writer thread; a newer version queued makes it skip."""
        self._run_version += 1
        version, text = self._run_version, self._redacted_json(self.record, indent=2)

        def write() -> None:
            if version == self._run_version:
                write_atomic(self.dir / "run.json", text)
        self._writer.submit(write)

    def _update_totals(self) -> None:
        totals = RunTotals(steps=len(self.steps))
        phases = dict.fromkeys(PHASES, 0.0)
        for step in self.steps:
            for phase, seconds in step.timings.items():
                if phase in phases:
                    phases[phase] += seconds
            totals.usage = totals.usage + step.usage
            totals.model_requests += len(step.attempts)
        totals.tokens = total_split(step.tokens for step in self.steps)
        if self.record.price is not None:
            totals.cost_usd = round(self.record.price.cost(totals.tokens), 6)
        totals.phases = {k: round(v, 4) for k, v in phases.items()}
        end = self.record.ended_at or time.time()
        totals.seconds = round(end - self.record.started_at, 3)
        self.record.totals = totals


def account(step: StepRecord, protocol: str) -> None:
    """Fill in the tokens by kind of the step and of each of its requests (kept if already set)."""
    if not step.attempts:
        return
    prompt_chars = len(step.request.prompt) if step.request is not None else 0
    for attempt in step.attempts:
        if attempt.tokens is None:
            attempt.tokens = split_tokens(protocol, attempt.usage, attempt.content,
                                          attempt.reasoning, attempt.image_sizes, prompt_chars)
    step.tokens = total_split(attempt.tokens for attempt in step.attempts)


def read_run(run_dir: str | Path) -> tuple[RunRecord, list[StepRecord]]:
    """Read a run directory; a truncated last line (a killed run) is skipped."""
    run_dir = Path(run_dir)
    run_path = run_dir / "run.json"
    if not run_path.exists():
        raise LogFormatError(f"{run_path}: no run.json here; is {run_dir} a guiagent run directory?")
    try:
        raw = json.loads(run_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LogFormatError(f"{run_path}: not valid JSON ({exc})") from exc
    version = raw.get("format_version")
    if version != LOG_FORMAT_VERSION:
        raise LogFormatError(
            f"{run_path}: log format version {version!r} is not supported by this guiagent "
            f"(it reads version {LOG_FORMAT_VERSION}); upgrade guiagent or re-record the run")
    try:
        record = RunRecord.model_validate(raw)
    except ValidationError as exc:
        raise LogFormatError(f"{run_path}: {exc.errors()[0]['msg']} at "
                             f"{'.'.join(map(str, exc.errors()[0]['loc']))}") from exc
    return record, read_steps(run_dir / "steps.jsonl")


def read_steps(path: Path) -> list[StepRecord]:
    """Read steps.jsonl, naming the file and line of any corrupted entry."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    complete = path.read_text(encoding="utf-8").endswith("\n")
    steps = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        is_last = number == len(lines) or (number == len(lines) - 1 and complete)
        try:
            steps.append(StepRecord.model_validate_json(line))
        except ValidationError as exc:
            if is_last and not complete:
                break  # the run was killed while writing this line
            raise LogFormatError(f"{path}:{number}: corrupted step record "
                                 f"({exc.errors()[0]['msg']})") from exc
    return steps
