"""Runs the UI knows: live ones (started from the page or attached by ``run --live``), past ones.

A run started from the page is the same as ``guiagent run``: the same driver,
guard (its confirmations answered from the page), model client and run log,
on a thread of its own; the folder is ``DIR/<time>-<random>`` and its report
is written when it ends. Past runs and evaluation results are read from
``DIR`` with the code ``guiagent runs`` and ``guiagent eval`` use.
"""

from __future__ import annotations

import json
import re
import threading
import time
import traceback
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigError, GuiAgentError
from ..model import DEFAULT_MODEL
from ..protocols.registry import available_protocols
from ..protocols.registry import make_protocol as registry_make_protocol
from ..redaction import strip_userinfo
from .control import LiveControl, TimeoutPolicy
from .events import EventHub

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class StartRequest(BaseModel):
    """What the page's form sends to start a run."""

    model_config = ConfigDict(extra="forbid")

    task: str = Field(min_length=1, max_length=4000)
    target: Literal["browser", "desktop"] = "browser"
    url: str | None = Field(default=None, max_length=4000)
    app: str | None = Field(default=None, max_length=1000)
    viewport: str = Field(default="1280x720", max_length=20)
    model_url: str = Field(min_length=1, max_length=2000)
    model: str = Field(default=DEFAULT_MODEL, max_length=200)
    api_key: str = Field(default="EMPTY", max_length=500)
    protocol: str = Field(default="glm41v-pc", max_length=100)
    max_steps: int = Field(default=30, ge=1, le=500)
    max_seconds: float | None = Field(default=None, gt=0)
    confirm_timeout: float = Field(default=120.0, ge=1, le=86400)
    on_timeout: TimeoutPolicy = "reject"


@dataclass
class RunSafety:
    """What every run started from the page is held to: the server's action policy, allowed
    domains and secrets (``guiagent ui --policy/--allow-domain/--secret/--secrets-file``, and
    ``GUIAGENT_SECRET_<NAME>``), as ``guiagent run`` holds its run; the form cannot loosen them."""

    policy: Path | None = None
    allow_domains: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    secrets_file: Path | None = None
    #: Model servers the form may name (empty: any); screenshots go there, so a shared UI
    #: should not send them wherever the form says.
    model_urls: list[str] = field(default_factory=list)

    def check(self) -> None:
        """ConfigError now (when the server starts) for a policy or secrets file that cannot work."""
        from ..cli.safety_options import policy_from_options
        from ..secrets import Secrets

        policy_from_options(self.policy, self.allow_domains)
        Secrets.from_sources(self.secrets, self.secrets_file)

    def check_model_url(self, url: str) -> None:
        """ConfigError for a model URL the server was not started with (when it names any)."""
        allowed = [u.rstrip("/") for u in self.model_urls]
        if allowed and url.rstrip("/") not in allowed:
            raise ConfigError("this server only lets runs use the model servers it was started "
                              f"with: {', '.join(strip_userinfo(u) for u in allowed)} "
                              "(guiagent ui --model-url)")

    def check_url(self, url: str) -> None:
        """ConfigError for a start page outside the allowed domains."""
        from ..allowlist import AllowList
        from ..cli.safety_options import policy_from_options

        allowed = AllowList(policy_from_options(self.policy, self.allow_domains).allow_domains)
        if not allowed.allows_url(url):
            raise ConfigError(f"this server only lets runs visit {allowed}: the start URL is "
                              "outside them (guiagent ui --allow-domain)")


@dataclass
class LiveRun:
    """A run the page can watch and steer."""

    id: str
    run_dir: Path
    task: str
    control: LiveControl
    hub: EventHub
    started_at: float = field(default_factory=time.time)
    thread: threading.Thread | None = None

    def announce(self) -> None:
        """The first event of the run: what it is about."""
        self.hub.publish({"type": "run", "id": self.id, "task": self.task,
                          "started_at": self.started_at})

    def summary(self) -> dict[str, Any]:
        """What the run list shows."""
        return {"id": self.id, "task": self.task, "state": self.control.state,
                "started_at": self.started_at}


def protocol_names() -> list[str]:
    """The protocols a run can speak: the registry's families whose module is installed."""
    return available_protocols()


def make_protocol(name: str, tips: str | None = None) -> Any:
    """The protocol adapter called ``name`` (ConfigError naming the choices otherwise)."""
    return registry_make_protocol(name, tips=tips)


class RunManager:
    """The live runs of one UI server, and the runs folder it lists."""

    def __init__(self, root: Path, safety: RunSafety | None = None) -> None:
        self.root = Path(root)
        self.safety = safety or RunSafety()
        self._lock = threading.Lock()
        self._live: dict[str, LiveRun] = {}

    def attach(self, run_dir: Path, task: str, control: LiveControl) -> LiveRun:
        """Show a run someone else runs (``guiagent run --live``)."""
        run = LiveRun(id=Path(run_dir).name, run_dir=Path(run_dir), task=task, control=control,
                      hub=control.hub)
        run.announce()
        with self._lock:
            self._live[run.id] = run
        return run

    def get(self, run_id: str) -> LiveRun | None:
        """A live run by id."""
        with self._lock:
            return self._live.get(run_id)

    def live(self) -> list[LiveRun]:
        """Every live run, newest first."""
        with self._lock:
            return sorted(self._live.values(), key=lambda r: -r.started_at)

    def start(self, request: StartRequest) -> LiveRun:
        """Start a run on a thread of its own; ConfigError for a form that cannot work."""
        if request.target == "browser" and not request.url:
            raise ConfigError("give the URL of the page to open, or choose the sandbox desktop")
        if request.target == "browser" and request.url:
            self.safety.check_url(request.url)
        self.safety.check_model_url(request.model_url)
        if request.protocol not in protocol_names():
            raise ConfigError(f"unknown protocol {request.protocol!r}; choose one of "
                              f"{', '.join(protocol_names())}")
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        hub = EventHub()
        control = LiveControl(hub, confirm_timeout=request.confirm_timeout,
                              on_timeout=request.on_timeout)
        run = LiveRun(id=run_id, run_dir=self.root / run_id, task=request.task, control=control,
                      hub=hub)
        run.announce()
        run.thread = threading.Thread(target=self._run, args=(run, request),
                                      name=f"guiagent-ui-run-{run_id}", daemon=True)
        with self._lock:
            self._live[run_id] = run
        run.thread.start()
        return run

    def stop_all(self, timeout: float = 30.0) -> None:
        """Stop every run started here and wait for them to finish."""
        runs = self.live()
        for run in runs:
            run.control.stop()
        for run in runs:
            if run.thread is not None:
                run.thread.join(timeout)

    def _run(self, run: LiveRun, request: StartRequest) -> None:
        from ..agent import Agent, AgentConfig
        from ..cli.run_cmd import build_driver
        from ..cli.safety_options import apply_safety
        from ..guard import ActionGuard
        from ..model import ModelSettings, OpenAIChatClient

        stack, driver = ExitStack(), None
        try:
            display = None
            if request.target == "desktop":
                display = _sandbox_desktop(request, stack)
            driver = build_driver(request.url, request.target == "desktop", display,
                                  request.viewport, headed=False)
            safe = self.safety
            driver, guards, tips = apply_safety(
                driver, None, policy=safe.policy, allow_domains=safe.allow_domains,
                interactive=False, secrets=safe.secrets, secrets_file=safe.secrets_file)
            guard = guards[0]
            assert isinstance(guard, ActionGuard)
            guard.confirm = run.control.confirm  # asked on the page
            client = OpenAIChatClient(ModelSettings(base_url=request.model_url, model=request.model,
                                                    api_key=request.api_key))
            config = AgentConfig(max_steps=request.max_steps, max_seconds=request.max_seconds,
                                 run_dir=run.run_dir, handle_signals=False)
            agent = Agent(driver, client, protocol=make_protocol(request.protocol, tips),
                          config=config,
                          hooks=[run.control, guard])
            run.control.follow(agent)
            result = agent.run(request.task)
            finish(run.control, result.run_dir, result.outcome, answer=result.answer,
                   error=result.record.error.message if result.record.error else None)
        except (GuiAgentError, ValueError) as exc:
            run.control.finished("error", error=f"the run could not start: {exc}")
        except Exception as exc:  # a bug: the page says so and the server keeps going
            traceback.print_exc()
            run.control.finished("error", error=f"{type(exc).__name__}: {exc}")
        finally:
            if driver is not None:
                driver.close()
            stack.close()


def finish(control: LiveControl, run_dir: Path, outcome: str, *, answer: str | None,
           error: str | None) -> None:
    """Write the run's report and tell the pages how it ended."""
    from ..replay import write_report
    from ..runlog import read_run

    report, totals = None, {}
    try:
        write_report(run_dir)
        report = f"/runs/{run_dir.name}/report.html"
        totals = read_run(run_dir)[0].totals.model_dump()
    except GuiAgentError as exc:
        error = error or f"no report: {exc}"
    control.finished(outcome, answer=answer, error=error, report=report, totals=totals)


def _sandbox_desktop(request: StartRequest, stack: ExitStack) -> str:
    """A fresh virtual desktop (and the app, when one is given) for this run."""
    from rich.console import Console

    from ..cli.desktop_apps import app_specs, desktop_display

    quiet = Console(stderr=True, quiet=True)
    return desktop_display(None, request.viewport, app_specs([request.app] if request.app else []),
                           stack, quiet)


def past_runs(root: Path) -> dict[str, Any]:
    """The run folders and evaluation results under ``root``, for the list."""
    from ..replay import list_runs

    listing = list_runs(root)
    runs = [{"id": r.path.name, "task": r.task, "kind": r.kind, "outcome": r.outcome,
             "steps": r.steps, "seconds": r.seconds, "started_at": r.started_at,
             "report": f"/runs/{r.path.name}/report.html"}
            for r in reversed(listing.runs) if NAME.match(r.path.name) and _own(root, r.path / "run.json")]
    return {"runs": runs, "evals": eval_results(root), "unreadable": listing.unreadable}


def eval_results(root: Path) -> list[dict[str, Any]]:
    """Evaluation results folders (``results.jsonl``) directly under ``root``."""
    found: list[dict[str, Any]] = []
    if not root.is_dir():
        return found
    for path in sorted(p for p in root.iterdir() if p.is_dir() and NAME.match(p.name)):
        results = path / "results.jsonl"
        if not (results.is_file() and _own(root, results) and _own(root, path / "summary.json")):
            continue
        entry: dict[str, Any] = {"id": path.name, "report": f"/evals/{path.name}/report.html"}
        try:
            summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
            for key in ("suite", "model", "episodes", "succeeded", "success_rate"):
                value = summary.get(key) if isinstance(summary, dict) else None
                if isinstance(value, str | int | float):
                    entry[key] = value
        except (OSError, ValueError):
            entry["note"] = "no readable summary.json"
        found.append(entry)
    return found


def _own(root: Path, path: Path) -> bool:
    """``path`` stays inside ``root`` with its links followed (a link out of DIR is not listed)."""
    return path.resolve().is_relative_to(root.resolve())
