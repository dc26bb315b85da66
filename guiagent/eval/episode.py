"""One episode: start its world, run its setup, let the agent work, check the end state.

Every episode gets a folder of its own under the results folder::

    OUT/episodes/<task>-r<repeat>/
      run/             the agent's run log (run.json, steps.jsonl, screenshots, report.html)
      work/            the episode's work folder (copied files, downloads, saved documents)
      sandbox.sqlite3  the web sandbox database of this episode (when the task uses one)
      episode.json     the EpisodeResult

Errors split three ways. ``infra``: the world or the model server failed (a
browser crash, a sandbox or display that did not start, the model server
unreachable or failing after its retries); the episode is retried from scratch
up to ``infra_retries`` times and, if it still fails, reported apart from the
agent's failures. ``task``: the task's own setup or Python code is broken.
``agent``: everything the agent did (or failed to do) within a working world.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..errors import DriverError, EnvironmentStartError, ModelConnectionError
from ..files import write_atomic
from ..hooks import StopRun
from ..model import ModelSettings
from ..tokens import TokenSplit
from .checks import is_infeasible, run_checks
from .context import CheckResult, EpisodeContext
from .envs import BrowserEnv, EpisodeEnv, WorkerBrowser
from .setup import run_setup
from .tasks import Task

ErrorKind = Literal["agent", "infra", "task"]


class EvalSettings(BaseModel):
    """Everything about how episodes run that is the same for the whole suite (picklable)."""

    model: ModelSettings = ModelSettings()
    viewport: str = "1280x720"
    headless: bool = True
    image_format: Literal["jpeg", "png"] = "jpeg"
    jpeg_quality: int = Field(default=85, ge=1, le=100)
    max_image_pixels: int | None = None
    stuck_warn_after: int | None = 3
    stuck_stop_after: int | None = 5
    #: Seconds an episode may take when its task gives no time_limit.
    time_limit: float = Field(default=600.0, gt=0)
    infra_retries: int = Field(default=2, ge=0)
    tips: str | None = None
    #: A registry name (None: from the model's name).
    protocol: str | None = None
    #: The text of a user's prompt template (None: the protocol's own).
    prompt_template: str | None = None
    policy: Path | None = None
    allow_domains: list[str] = []
    secrets: list[str] = []
    secrets_file: Path | None = None
    write_reports: bool = True


@dataclass
class EpisodeSpec:
    """Which episode to run and where its folder goes."""

    task: Task
    repeat: int
    out_dir: Path

    @property
    def name(self) -> str:
        """The episode's folder name: ``<task>-r<repeat>``."""
        return f"{self.task.id}-r{self.repeat}"

    @property
    def episode_dir(self) -> Path:
        """``OUT/episodes/<task>-r<repeat>``."""
        return self.out_dir / "episodes" / self.name


class EpisodeResult(BaseModel):
    """One line of results.jsonl."""

    task: str
    repeat: int
    success: bool
    outcome: str
    steps: int = 0
    seconds: float = 0.0
    tokens: int = 0
    #: The tokens by kind (visual, text, thinking, answer); absent in older results.
    token_split: TokenSplit | None = None
    #: USD at the suite's price (None: no price was given).
    cost_usd: float | None = None
    checks: list[CheckResult] = []
    run_dir: str | None = None
    """The run folder, relative to the results folder."""
    answer: str | None = None
    error: str | None = None
    error_kind: ErrorKind | None = None
    category: str | None = None
    """Why it failed, for the summary: infra, task_error, checks_failed, wrong_answer, gave_up,
    missed_infeasible, max_steps, max_time, stuck, error."""
    attempts: int = 1
    tags: list[str] = []
    finished_at: float = Field(default_factory=time.time)
    extra: dict[str, Any] = {}


@dataclass
class Worker:
    """What one worker keeps across its episodes: the browser, and how to build environments."""

    settings: EvalSettings
    browser: WorkerBrowser = field(init=False)

    def __post_init__(self) -> None:
        self.browser = WorkerBrowser(headless=self.settings.headless)
        self._clients: dict[str, Any] = {}
        self._scratch = tempfile.TemporaryDirectory(prefix="guiagent-worker-")

    def client(self, settings: ModelSettings) -> Any:
        """One model client per settings, reused across episodes (making one loads TLS state)."""
        from ..model import OpenAIChatClient

        key = settings.model_dump_json()
        if key not in self._clients:
            self._clients[key] = OpenAIChatClient(settings)
        return self._clients[key]

    def make_env(self, task: Task) -> EpisodeEnv:
        """The environment a task needs (desktop tasks: ``guiagent.eval.desktop_env.make_env``)."""
        if task.kind == "desktop":
            import importlib

            try:
                module = importlib.import_module("guiagent.eval.desktop_env")
            except ModuleNotFoundError as exc:
                raise EnvironmentStartError(f"desktop tasks need guiagent.eval.desktop_env ({exc})") \
                    from exc
            return module.make_env(self, task)  # type: ignore[no-any-return,unused-ignore]
        s = self.settings
        return BrowserEnv(self.browser, viewport=s.viewport, image_format=s.image_format,
                          jpeg_quality=s.jpeg_quality,
                          pristine_db=Path(self._scratch.name) / "pristine.sqlite3",
                          allow_domains=s.allow_domains)

    def close(self) -> None:
        """Close the worker's browser and delete its scratch files."""
        self.browser.close()
        self._scratch.cleanup()


class _TaskError(Exception):
    """The task's own setup failed (not retried, not the agent's fault)."""


def score(task: Task, outcome: str, checks: list[CheckResult]) -> bool:
    """Success: every check holds and the agent claimed success (infeasible tasks: it said FAIL)."""
    if not checks or not all(c.passed for c in checks):
        return False
    return is_infeasible(task.evaluate) or outcome in ("done", "answered")


def failure_category(task: Task, result: EpisodeResult) -> str | None:
    """One word for why an episode failed (None when it succeeded)."""
    if result.success:
        return None
    if result.error_kind == "infra":
        return "infra"
    if result.error_kind == "task":
        return "task_error"
    if is_infeasible(task.evaluate):
        return "missed_infeasible"
    if result.outcome == "failed":
        return "gave_up"
    if result.outcome in ("done", "answered"):
        only_answers = all(c.kind == "answer" for c in result.checks if not c.passed)
        return "wrong_answer" if only_answers and result.outcome == "answered" else "checks_failed"
    return result.outcome


def run_episode(spec: EpisodeSpec, worker: Worker) -> EpisodeResult:
    """Run one episode, retrying it from scratch after infrastructure errors."""
    errors: list[str] = []
    retries = worker.settings.infra_retries
    for attempt in range(1, retries + 2):
        result = _attempt(spec, worker)
        result.attempts = attempt
        if result.error_kind != "infra":
            break
        errors.append(f"attempt {attempt}: {result.error}")
        worker.browser.discard()  # the next attempt gets a fresh browser
    if errors and result.error_kind == "infra":
        result.error = "\n".join(errors)
    result.category = failure_category(spec.task, result)
    spec.episode_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(spec.episode_dir / "episode.json", result.model_dump_json(indent=2))
    return result


def _infra(exc: BaseException | None, env: Any) -> bool:
    if isinstance(exc, ModelConnectionError | EnvironmentStartError):
        return True
    if isinstance(exc, DriverError):
        driver = getattr(env, "driver", None)
        page = getattr(driver, "page", None)
        try:
            return page is None or page.is_closed() or not page.context.browser.is_connected()
        except Exception:  # noqa: BLE001 - asking a dead browser fails too
            return True
    return False


def _attempt(spec: EpisodeSpec, worker: Worker) -> EpisodeResult:
    from ..agent import Agent, AgentConfig

    task, settings = spec.task, worker.settings
    shutil.rmtree(spec.episode_dir, ignore_errors=True)
    run_dir, work_dir = spec.episode_dir / "run", spec.episode_dir / "work"
    work_dir.mkdir(parents=True)
    ctx = EpisodeContext(task=task, repeat=spec.repeat, run_dir=run_dir, work_dir=work_dir)
    base: dict[str, Any] = dict(task=task.id, repeat=spec.repeat, tags=task.tags,
                run_dir=str(run_dir.relative_to(spec.out_dir)))
    started = time.monotonic()
    env: Any = None
    try:
        env = worker.make_env(task)
        ctx.env = env
        driver = env.start(ctx)
        try:
            run_setup(task.setup, ctx, env)
        except EnvironmentStartError:
            raise
        except Exception as exc:
            raise _TaskError(f"setup failed: {type(exc).__name__}: {exc}") from exc
        env.begin(ctx)
        agent = _agent(driver, ctx, worker, Agent, AgentConfig)
        run = agent.run(ctx.instruction)
        if run.outcome == "interrupted" and isinstance(run.error, KeyboardInterrupt):
            raise KeyboardInterrupt
        ctx.outcome, ctx.answer, ctx.steps = run.outcome, run.answer, run.record.totals.steps
        env.capture(ctx)
        totals = run.record.totals
        common: dict[str, Any] = dict(base, outcome=run.outcome, steps=totals.steps, answer=run.answer,
                      tokens=totals.usage.total_tokens, token_split=totals.tokens,
                      cost_usd=totals.cost_usd)
        if _infra(run.error, env):
            return EpisodeResult(**common, success=False, error_kind="infra",
                                 error=f"{type(run.error).__name__}: {run.error}",
                                 seconds=round(time.monotonic() - started, 3))
        checks = run_checks(task.evaluate, ctx)
        # A hook's StopRun("done") means the world ended the episode (MiniWoB++): not an error.
        ended = isinstance(run.error, StopRun) and run.outcome == "done"
        error = f"{type(run.error).__name__}: {run.error}" if run.error is not None and not ended \
            else None
        return EpisodeResult(**common, success=score(task, run.outcome, checks), checks=checks,
                             error=error, error_kind="agent" if error else None,
                             seconds=round(time.monotonic() - started, 3))
    except EnvironmentStartError as exc:
        return EpisodeResult(**base, success=False, outcome="error", error_kind="infra",
                             error=str(exc), seconds=round(time.monotonic() - started, 3))
    except _TaskError as exc:
        return EpisodeResult(**base, success=False, outcome="error", error_kind="task",
                             error=str(exc), seconds=round(time.monotonic() - started, 3))
    except Exception as exc:  # noqa: BLE001 - e.g. Playwright's own errors from a dying browser
        return EpisodeResult(**base, success=False, outcome="error", error_kind="infra",
                             error=f"{type(exc).__name__}: {exc}",
                             seconds=round(time.monotonic() - started, 3))
    finally:
        if env is not None:
            env.close()
        if settings.write_reports and (run_dir / "run.json").exists():
            _write_report(run_dir)


def _agent(driver: Any, ctx: EpisodeContext, worker: Worker, agent_cls: Any, config_cls: Any) -> Any:
    from ..cli.safety_options import apply_safety
    from ..protocols.registry import resolve_protocol

    s = worker.settings
    limit = ctx.task.time_limit or s.time_limit
    model = s.model.model_copy(update={"timeout": min(s.model.timeout, limit)})

    allow = ctx.extra.get("allow_domains") or s.allow_domains  # the env adds its sandbox
    driver, guards, tips = apply_safety(driver, s.tips, policy=s.policy, allow_domains=allow,
                                        interactive=False, secrets=s.secrets,
                                        secrets_file=s.secrets_file)
    stop = s.stuck_stop_after
    config = config_cls(max_steps=ctx.task.max_steps, max_seconds=limit, run_dir=ctx.run_dir,
                        image_format=s.image_format, jpeg_quality=s.jpeg_quality,
                        max_image_pixels=s.max_image_pixels, handle_signals=False,
                        stuck_warn_after=min(s.stuck_warn_after or 10**9, stop or 10**9)
                        if s.stuck_warn_after else None, stuck_stop_after=stop)
    protocol = resolve_protocol(s.protocol, model.model, tips=tips,
                                prompt_template=s.prompt_template)
    return agent_cls(driver, worker.client(model), protocol=protocol, config=config,
                     hooks=[*guards, *ctx.extra.get("agent_hooks", [])])


def _write_report(run_dir: Path) -> None:
    from ..errors import GuiAgentError
    from ..replay import write_report

    try:
        write_report(run_dir)
    except (GuiAgentError, OSError):  # the log is complete; the page is a convenience
        pass
