"""``report.html``: one self-contained page that shows a run to a person.

Screenshots (and a replay's divergence evidence) are embedded as ``data:``
URLs and the CSS and script are inline, so the page works offline and keeps
working when the run directory is copied or mailed. Rendering goes through a
Jinja2 template with autoescaping on: the model's thinking, typed text and
page titles are untrusted text and must never become markup.
"""

from __future__ import annotations

import base64
import functools
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from PIL import Image

from ..files import write_atomic
from ..imaging import MIME
from ..runlog import PHASES, RunRecord, StepRecord, read_run, shown_outcome
from ..tokens import usd
from .cost_chart import cost_view
from .marks import Mark, pointer_after, step_marks

REPORT_NAME = "report.html"


@dataclass
class StepView:
    """What the template needs to show one step."""

    step: StepRecord
    image_url: str | None
    width: int
    height: int
    marks: list[Mark]
    diff: dict[str, Any] | None = None
    """A replay's comparison of this step's screen with the recording (``StepComparison``)."""
    evidence: dict[str, str] = field(default_factory=dict)


def run_file(run_dir: Path, rel: str | None) -> Path | None:
    """An existing file of the run; None for paths leading outside it (a log must not
    make a report embed ~/.ssh/id_rsa)."""
    if not rel:
        return None
    path = run_dir / rel
    inside = path.resolve().is_relative_to(run_dir.resolve())
    return path if inside and path.is_file() else None


def _file_url(path: Path | None) -> str | None:
    if path is None:
        return None
    mime = MIME.get(path.suffix.lstrip(".").lower(), "application/octet-stream")
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _size(step: StepRecord, path: Path | None) -> tuple[int, int]:
    if step.frame is not None:
        return step.frame.screenshot.width, step.frame.screenshot.height
    if path is not None:
        with Image.open(path) as image:
            return image.size
    return 1280, 720


def step_views(run_dir: Path, steps: list[StepRecord],
               replay: dict[str, Any] | None = None) -> list[StepView]:
    """Pair every step with its embedded screenshot, the marks to draw, and replay findings."""
    compared = {c.get("step"): c for c in (replay or {}).get("compared", [])}
    views: list[StepView] = []
    last_point: tuple[float, float] | None = None
    for step in steps:
        path = run_file(run_dir, step.screenshot)
        width, height = _size(step, path)
        marks = step_marks(step, (width, height), last_point)
        last_point = pointer_after(step, marks, last_point)
        diff = compared.get(step.index)
        evidence = {name: url for name, rel in ((diff or {}).get("evidence") or {}).items()
                    if isinstance(rel, str) and (url := _file_url(run_file(run_dir, rel)))}
        views.append(StepView(step=step, image_url=_file_url(path),
                              width=width, height=height, marks=marks, diff=diff,
                              evidence=evidence))
    return views


def _clock(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "—"


def _download_href(path: str | None) -> str | None:
    """A link to a download of the run: only ``downloads/NAME`` (a log is untrusted: no
    ``javascript:`` URLs, no ``../``)."""
    if not path or not re.fullmatch(r"downloads/[A-Za-z0-9._ ()+,=@-]+", path) \
            or path in ("downloads/.", "downloads/.."):
        return None
    return quote(path)


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    """One environment per process: it caches the compiled template (compiling costs ~0.3 s)."""
    env = Environment(loader=PackageLoader("guiagent.replay", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["clock"] = _clock
    env.filters["download_href"] = _download_href
    env.filters["usd"] = usd
    return env


def render_report(run_dir: str | Path) -> str:
    """The HTML of a run's report (reads the log with :func:`guiagent.runlog.read_run`)."""
    run_dir = Path(run_dir)
    record, steps = read_run(run_dir)
    record.outcome = shown_outcome(record)
    return render(record, step_views(run_dir, steps, record.extra.get("replay")), run_dir.name)


def render(record: RunRecord, views: list[StepView], name: str) -> str:
    """Render already-loaded records (for callers that hold them)."""
    phases = {p: record.totals.phases.get(p, 0.0) for p in PHASES}
    phases.update({k: v for k, v in record.totals.phases.items() if k not in phases})
    busiest = max(phases.values(), default=0.0) or 1.0
    return _environment().get_template("report.html.j2").render(
        record=record, views=views, name=name, phases=phases, busiest=busiest,
        replay=record.extra.get("replay"), cost=cost_view(record, [v.step for v in views]))


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` into the run directory (or ``out``); return its path."""
    run_dir = Path(run_dir)
    target = Path(out) if out else run_dir / REPORT_NAME
    return write_atomic(target, render_report(run_dir))  # never through a linked report.html
