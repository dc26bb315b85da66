"""Reading the input probe's log: what X11 really delivered to a window.

The probe app (:mod:`.probe_app`) writes one JSON event a line; tests take a
``mark()`` before acting and wait for the events that follow it, so one probe
window serves many tests without their events mixing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from guiagent.errors import DriverError

from .procs import wait_until
from .xvfb import DesktopSandbox

Event = dict[str, Any]


class ProbeLog:
    """The events a probe window recorded, read back from its log file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def events(self, since: int = 0) -> list[Event]:
        """Events after the first ``since`` lines (a torn last line is skipped)."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines[since:]:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                break
        return out

    def mark(self) -> int:
        """Current position; pass it as ``since`` to see only newer events."""
        try:
            return len(self.path.read_text(encoding="utf-8").splitlines())
        except FileNotFoundError:
            return 0

    def wait_for(
        self, predicate: Callable[[list[Event]], bool], since: int = 0, timeout: float = 5.0,
    ) -> list[Event]:
        """Events since ``since`` once ``predicate`` holds for them, else the last seen."""
        found = wait_until(lambda: (ev if predicate(ev := self.events(since)) else None), timeout)
        return found if found is not None else self.events(since)

    def text(self) -> str:
        """The text box's latest content."""
        texts = [e["text"] for e in self.events() if e["event"] == "text"]
        return texts[-1] if texts else ""

    def ready(self) -> Event | None:
        """The ``ready`` event with widget boxes, once the window is up."""
        return next((e for e in self.events() if e["event"] == "ready"), None)


def launch_probe(
    sandbox: DesktopSandbox, log: Path, *, target: tuple[int, int] | None = None,
    geometry: str | None = None, timeout: float = 60.0,
) -> ProbeLog:
    """Start the probe on a sandbox and wait until its window is ready."""
    argv = [sys.executable, "-m", "guiagent.sandboxes.desktop.probe_app", "--log", str(log)]
    if target is not None:
        argv += ["--target", f"{target[0]},{target[1]}"]
    if geometry is not None:
        argv += ["--geometry", geometry]
    proc = sandbox.launch(argv)
    probe = ProbeLog(log)
    if wait_until(lambda: probe.ready() or (proc.poll() is not None), timeout) is None \
            or probe.ready() is None:
        raise DriverError(f"the probe window did not come up: {sandbox.log_text(sys.executable)}")
    return probe
