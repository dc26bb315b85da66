"""MiniWoB++ tasks as an evaluation suite, scored by each task's own reward.

The ``miniwob`` package (Farama, PyPI) ships every task as an HTML page whose
JavaScript core generates a problem (``genProblem``), shows the instruction in
``#query`` (``core.getUtterance()``) and ends the episode itself with a reward
(``core.endEpisode(reward)``: 1.0 for success, -1.0 or a partial value
otherwise; the globals ``WOB_DONE_GLOBAL``, ``WOB_REWARD_GLOBAL`` (time-decayed),
``WOB_RAW_REWARD_GLOBAL`` and ``WOB_REWARD_REASON`` hold it). The package's own
Gymnasium environment drives the pages through Selenium; here they are served
from the installed package on 127.0.0.1 and opened in the episode's own
Playwright context, so the agent acts with real mouse and keyboard events.

An episode: :func:`start_task` (a ``python:`` setup step) opens the task page,
seeds its random generator (the same problem for the same task and repeat, on
any backend), starts the episode the way the package does
(``core.startEpisodeReal()``, then waits for ``WOB_TASK_READY``) and returns the
page's instruction, which replaces the task's placeholder instruction.
:func:`reward_check` reads the reward of the episode's first ending; success is
a raw reward above 0, as the package scores it; both rewards and the reason are
kept as evidence. The agent's run ends (outcome ``done``) as soon as the page
ends the episode, as the package's environment terminates: the page, not the
model, decides when a MiniWoB++ episode is over, and no model call is spent on
the cover the page shows afterwards.

What the agent sees: the 160x210 CSS-pixel task area and nothing else (the
package crops its screenshots to the same area), rendered at device scale 3
(a 480x630 screenshot, so 10 px text is legible to a vision model); the reward
display and click visualiser beside it are hidden. MiniWoB's own 10 s episode
clock is stretched to the task's time limit: a model that thinks for seconds
per step cannot meet a clock made for reflex policies; the time-decayed reward
is still recorded.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, EnvironmentStartError
from ..hooks import AgentHooks, StopRun

if TYPE_CHECKING:
    from ..drivers.base import ActionResult
    from ..runlog import StepRecord

VIEWPORT = "160x210"
DEVICE_SCALE_FACTOR = 3
DEFAULT_TIME_LIMIT = 120.0
DEFAULT_MAX_STEPS = 10
PLACEHOLDER_INSTRUCTION = "(read from the MiniWoB++ page when the episode starts)"
INSTALL_HINT = "pip install 'guiagent[miniwob]'"

_HIDE_SIDE_PANELS = "#reward-display, #click-canvas, #attention-canvas {display: none !important;}"

# Start the episode as the package's SeleniumInstance.begin_task does, and keep the first ending:
# after endEpisode the page shows a START cover that would begin a new problem (and reset the
# globals) if clicked, so the first reward is copied aside and the cover is made inert.
_START_JS = """
(args) => {
  Math.seedrandom(args.seed);
  core.setDataMode(args.mode);
  core.EPISODE_MAX_TIME = args.ms;
  window.__guiagentEpisode = null;
  const end = core.endEpisode;
  core.endEpisode = function() {
    const live = core.EP_TIMER !== null;
    const value = end.apply(this, arguments);
    if (live && window.__guiagentEpisode === null) {
      let reason = WOB_REWARD_REASON;
      try { reason = reason === null || reason === undefined ? null : JSON.parse(JSON.stringify(reason)); }
      catch (e) { reason = String(reason); }
      window.__guiagentEpisode = {done: true, reward: WOB_REWARD_GLOBAL,
                                  raw_reward: WOB_RAW_REWARD_GLOBAL, reason: reason};
      if (core.cover_div) { core.cover_div.onclick = null; core.cover_div.innerHTML = 'END'; }
    }
    return value;
  };
  core.startEpisodeReal();
}
"""
_UTTERANCE_JS = """
() => { const u = core.getUtterance(); return typeof u === 'string' ? u : (u && u.utterance) || ''; }
"""
_RESULT_JS = "() => window.__guiagentEpisode === undefined ? null : window.__guiagentEpisode"


def html_root() -> Path:
    """The ``html`` folder of the installed ``miniwob`` package (found without importing it)."""
    spec = importlib.util.find_spec("miniwob")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the MiniWoB++ suite needs the miniwob package: {INSTALL_HINT}")
    root = Path(next(iter(spec.submodule_search_locations))) / "html"
    if not (root / "miniwob").is_dir() or not (root / "core" / "core.js").is_file():
        raise ConfigError(f"the installed miniwob package has no task pages under {root}; "
                          f"reinstall it: {INSTALL_HINT}")
    return root


def task_names() -> list[str]:
    """Every MiniWoB++ task the installed package ships (``click-button``, ...), sorted."""
    return sorted(p.stem for p in (html_root() / "miniwob").glob("*.html"))


class _PageServer:
    """The package's html folder served read-only on 127.0.0.1 (one per process, started lazily)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: Any = None

    def url(self) -> str:
        with self._lock:
            if self._server is None:
                from flask import Flask

                from ..serving import ThreadedWsgiServer

                app = Flask("guiagent-miniwob", static_folder=str(html_root()), static_url_path="")
                self._server = ThreadedWsgiServer(app, name="miniwob-pages").start()
            return f"http://127.0.0.1:{self._server.port}"


_pages = _PageServer()


def task_name(task: Any) -> str:
    """The MiniWoB++ task a suite task runs (``extra.miniwob``, else its id)."""
    name = str(task.extra.get("miniwob", task.id))
    if name not in task_names():
        raise ConfigError(f"task {task.id!r}: the installed miniwob package has no task {name!r}")
    return name


def start_task(ctx: Any) -> str:
    """Setup step: open the task page, start a seeded episode, return the page's instruction."""
    page = ctx.page
    if page is None:
        raise ConfigError("MiniWoB++ tasks run in a browser episode (the task has no page)")
    name = task_name(ctx.task)
    time_limit = ctx.task.time_limit or DEFAULT_TIME_LIMIT
    url = f"{_pages.url()}/miniwob/{name}.html"
    try:
        page.goto(url, wait_until="load")
        page.wait_for_selector("#sync-task-cover", timeout=10_000)
        page.add_style_tag(content=_HIDE_SIDE_PANELS)
        page.evaluate(_START_JS, {"seed": f"{name}/{ctx.repeat}", "mode": "train",
                                  "ms": int(time_limit * 1000)})
        page.wait_for_function("() => WOB_TASK_READY === true", timeout=10_000)
        utterance = str(page.evaluate(_UTTERANCE_JS)).strip()
    except Exception as exc:
        raise EnvironmentStartError(f"cannot start MiniWoB++ task {name} at {url}: {exc}") from exc
    if not utterance:
        raise EnvironmentStartError(f"MiniWoB++ task {name} showed no instruction")
    ctx.extra["miniwob"] = {"task": name, "seed": f"{name}/{ctx.repeat}", "utterance": utterance}
    ctx.extra.setdefault("agent_hooks", []).append(EndWithEpisode(page))
    return utterance


def episode_result(page: Any) -> dict[str, Any] | None:
    """The first ending of the page's episode (done, reward, raw_reward, reason), or None."""
    try:
        result = page.evaluate(_RESULT_JS)
    except Exception:  # noqa: BLE001 - a closed or crashed page has no result
        return None
    return result if isinstance(result, dict) else None


class EndWithEpisode(AgentHooks):
    """Ends the agent's run (outcome ``done``) once the page has ended its episode."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def after_action(self, step: StepRecord, result: ActionResult) -> None:
        """Ask the page after every action."""
        ended = episode_result(self.page)
        if ended is not None:
            raise StopRun("done", f"the MiniWoB++ page ended the episode (reward "
                                  f"{ended.get('raw_reward')})")


def reward_check(ctx: Any) -> tuple[bool, dict[str, Any]]:
    """Check: the task's own reward; success when the raw reward is above 0."""
    result = episode_result(ctx.page) if ctx.page is not None else None
    if result is None:
        return False, {"done": False, "reward": 0.0, "raw_reward": 0.0,
                       "reason": "the episode did not end (no reward given)"}
    raw = float(result.get("raw_reward") or 0.0)
    evidence = {"done": True, "reward": float(result.get("reward") or 0.0), "raw_reward": raw,
                "reason": result.get("reason")}
    return raw > 0, evidence


def load_suite() -> list[Any]:
    """One task per MiniWoB++ page of the installed package; the id is the page's name."""
    from .tasks import Task

    tasks = []
    for name in task_names():
        tasks.append(Task.model_validate({
            "id": name, "instruction": PLACEHOLDER_INSTRUCTION,
            "max_steps": DEFAULT_MAX_STEPS, "time_limit": DEFAULT_TIME_LIMIT,
            "tags": ["miniwob", name.split("-")[0]],
            "setup": [{"python": "guiagent.eval.miniwob:start_task"}],
            "evaluate": [{"python": "guiagent.eval.miniwob:reward_check"}],
            "extra": {"miniwob": name, "viewport": VIEWPORT,
                      "device_scale_factor": DEVICE_SCALE_FACTOR},
        }))
    return tasks
