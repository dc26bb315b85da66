"""A throwaway X11 desktop: Xvfb, a window manager and the apps you ask for.

Tests, benchmarks and ``guiagent sandbox desktop`` need a real X server that
behaves like a desktop (focus, window frames, a clipboard) but leaves nothing
behind. :class:`DesktopSandbox` starts ``Xvfb`` on a free display, waits until
it answers, starts ``openbox``, launches apps with ``DISPLAY`` set, and on exit
ends every process it started, including the ones that forked away.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from guiagent.errors import ConfigError, DriverError
from guiagent.geometry import Size

from . import windows
from .procs import MARKER, probe_tool, spawn, stop_groups, sweep, wait_until

if TYPE_CHECKING:
    from guiagent.drivers.desktop_windows import AppSpec

    from .apps import RunningApp

FIRST_DISPLAY = 99
LAST_DISPLAY = 999
WINDOW_MANAGER_PACKAGES = {"openbox": "openbox", "fluxbox": "fluxbox"}


def display_in_use(number: int) -> bool:
    """True if an X server holds (or left behind) the socket or lock of ``:number``."""
    return (
        Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists()
    )


def free_displays(first: int = FIRST_DISPLAY, last: int = LAST_DISPLAY) -> list[int]:
    """Display numbers with neither socket nor lock file, lowest first."""
    return [n for n in range(first, last + 1) if not display_in_use(n)]


def parse_display(display: str) -> int:
    """``':99'`` (or ``'99'``, ``':99.0'``) -> 99."""
    text = display.strip().lstrip(":").split(".")[0]
    if not text.isdigit():
        raise ConfigError(f"bad X display {display!r}: expected the form ':99'")
    return int(text)


def ensure_xauthority() -> Path:
    """Create an empty ``~/.Xauthority`` if missing: python-xlib fails without one."""
    path = Path(os.environ.get("XAUTHORITY") or Path.home() / ".Xauthority")
    if not path.exists():
        path.touch()
    return path


def _parse_monitor(text: str) -> tuple[int, int, int, int]:
    """``'640x480+640+0'`` -> (640, 480, 640, 0)."""
    match = re.fullmatch(r"(\d+)x(\d+)\+(\d+)\+(\d+)", text.strip())
    if match is None:
        raise ConfigError(f"bad monitor {text!r}: expected WIDTHxHEIGHT+X+Y")
    w, h, x, y = (int(v) for v in match.groups())
    return w, h, x, y


class DesktopSandbox:
    """Xvfb + window manager + apps, as a context manager that cleans up after itself.

    ``display``, ``size`` and ``env`` (the environment to run X clients in, with
    ``DISPLAY`` set) are available once started. ``monitors`` (``'WxH+X+Y'``
    each) splits the screen into RandR monitors to test multi-head setups.
    """

    def __init__(
        self,
        size: str | Size = "1280x720",
        display: str | None = None,
        window_manager: str | None = "openbox",
        apps: Sequence[Sequence[str]] = (),
        *,
        monitors: Sequence[str] = (),
        depth: int = 24,
        start_timeout: float = 60.0,
        keep_logs: bool = False,
    ) -> None:
        try:
            self.size = size if isinstance(size, Size) else Size.parse(size)
        except ValueError as exc:
            raise ConfigError(f"bad screen size {size!r}: expected WIDTHxHEIGHT") from exc
        self._wanted = parse_display(display) if display is not None else None
        self.display: str = f":{self._wanted}" if self._wanted is not None else ""
        self.window_manager = window_manager
        self.apps = [list(a) for a in apps]
        self.monitors = [_parse_monitor(m) for m in monitors]
        self.depth = depth
        self.start_timeout = start_timeout
        self.keep_logs = keep_logs
        self.token = secrets.token_hex(8)
        self.env: dict[str, str] = {}
        self.logdir: Path | None = None
        self._xvfb: subprocess.Popen[bytes] | None = None
        self._wm: subprocess.Popen[bytes] | None = None
        self._launched: list[subprocess.Popen[bytes]] = []
        self._count = 0

    # -- lifecycle ---------------------------------------------------------
    def __enter__(self) -> DesktopSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """True while the X server is up."""
        return self._xvfb is not None and self._xvfb.poll() is None

    def start(self) -> DesktopSandbox:
        """Start the server, the window manager and the apps; idempotent."""
        if self._xvfb is not None:
            return self
        windows.require_tool("Xvfb", "xvfb")
        windows.require_tool("xdotool", "xdotool")
        if self.window_manager:
            windows.require_tool(
                self.window_manager, WINDOW_MANAGER_PACKAGES.get(self.window_manager, "openbox")
            )
            windows.require_tool("xprop", "x11-utils")
        if self.monitors:
            windows.require_tool("xrandr", "x11-xserver-utils")
        ensure_xauthority()
        self.logdir = Path(tempfile.mkdtemp(prefix="guiagent-desktop-"))
        atexit.register(self.close)
        try:
            self._start_server()
            if self.monitors:
                self._set_monitors()
            if self.window_manager:
                self._start_window_manager()
            for argv in self.apps:
                self.launch(argv)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """End every app, the window manager and the server; safe to call twice."""
        atexit.unregister(self.close)
        stop_groups(reversed(self._launched))
        self._launched.clear()
        sweep(self.token)
        if self._wm is not None:
            stop_groups([self._wm])
            self._wm = None
        if self._xvfb is not None:
            stop_groups([self._xvfb])
            self._remove_leftovers(self.display, self._xvfb.pid)
            self._xvfb = None
        sweep(self.token)
        if self.logdir is not None and not self.keep_logs:
            shutil.rmtree(self.logdir, ignore_errors=True)
            self.logdir = None

    # -- apps --------------------------------------------------------------
    def launch(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start an X client on this display, in its own process group, ended on close."""
        if not self.running:
            raise DriverError("the desktop sandbox is not running; call start() first")
        if not argv:
            raise ConfigError("launch() needs a command")
        if shutil.which(argv[0]) is None and not Path(argv[0]).exists():
            raise ConfigError(f"cannot launch {argv[0]!r}: no such program on PATH")
        proc = spawn(argv, {**self.env, **(env or {})}, log=self._log(argv[0]), cwd=cwd)
        self._launched.append(proc)
        return proc

    def wait_for_window(
        self, *, name: str | None = None, class_: str | None = None,
        pid: int | None = None, timeout: float = 30.0,
    ) -> str:
        """Id of a visible window matching the criteria, once it is mapped."""
        return windows.wait_for_window(self.env, name=name, class_=class_, pid=pid,
                                       timeout=timeout)

    def start_app(self, spec: AppSpec) -> RunningApp:
        """Launch ``spec`` here and return once its window is mapped, idle and focused."""
        from .apps import start_app

        return start_app(spec, sandbox=self)

    def log_text(self, program: str) -> str:
        """The output logged so far by every process started from ``program``."""
        if self.logdir is None:
            return ""
        name = Path(program).name
        return "".join(p.read_text(errors="replace") for p in sorted(self.logdir.glob(f"{name}-*")))

    # -- internals ---------------------------------------------------------
    def _log(self, program: str) -> Path:
        assert self.logdir is not None
        self._count += 1
        return self.logdir / f"{Path(program).name}-{self._count}.log"

    def _start_server(self) -> None:
        candidates = [self._wanted] if self._wanted is not None else free_displays()[:20]
        if self._wanted is not None and display_in_use(self._wanted):
            raise ConfigError(f"display :{self._wanted} is already in use; omit display= "
                              "to pick a free one")
        last_error = "no free display number"
        for number in candidates:
            log = self._log("Xvfb")
            argv = ["Xvfb", f":{number}", "-screen", "0",
                    f"{self.size.width}x{self.size.height}x{self.depth}",
                    "-nolisten", "tcp", "-noreset"]
            env = {**os.environ, MARKER: self.token}
            proc = spawn(argv, env, log=log)
            if self._wait_server(proc, number):
                self._xvfb = proc
                self.display = f":{number}"
                self.env = {**os.environ, "DISPLAY": self.display, MARKER: self.token}
                self.env.pop("WAYLAND_DISPLAY", None)
                return
            stop_groups([proc])
            last_error = log.read_text(errors="replace").strip()[-500:]
            # Another server may have taken the number between our check and start: retry.
        raise DriverError(f"Xvfb did not start: {last_error}")

    def _wait_server(self, proc: subprocess.Popen[bytes], number: int) -> bool:
        env = {**os.environ, "DISPLAY": f":{number}"}
        lock = Path(f"/tmp/.X{number}-lock")
        deadline = time.monotonic() + self.start_timeout

        def ready() -> bool | None:
            if proc.poll() is not None:
                return True  # stop polling: it died
            if not lock.exists() or lock.read_text().strip() != str(proc.pid):
                return None  # not ours (yet)
            done = probe_tool(["xdotool", "getdisplaygeometry"], env, deadline)
            return (done is not None and done.returncode == 0) or None

        wait_until(ready, self.start_timeout, interval=0.02)
        return proc.poll() is None and ready() is True

    def _set_monitors(self) -> None:
        """Split the screen into RandR 1.5 monitors, as a multi-head desktop reports them."""
        for index, (w, h, x, y) in enumerate(self.monitors):
            # The first monitor takes over Xvfb's one output; the others are virtual.
            output = "screen" if index == 0 else "none"
            geometry = f"{w}/{max(1, w // 4)}x{h}/{max(1, h // 4)}+{x}+{y}"
            windows.run_tool(["xrandr", "--setmonitor", f"guiagent-{index + 1}", geometry,
                              output], self.env)

    def _start_window_manager(self) -> None:
        assert self.window_manager
        argv = [self.window_manager]
        if self.window_manager == "openbox":
            argv.append("--sm-disable")
        self._wm = spawn(argv, self.env, log=self._log(self.window_manager))
        deadline = time.monotonic() + self.start_timeout

        def ready() -> bool | None:
            if self._wm is None or self._wm.poll() is not None:
                return True
            done = probe_tool(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], self.env, deadline)
            return (done is not None and "window id" in done.stdout) or None

        ok = wait_until(ready, self.start_timeout, interval=0.05)
        if self._wm.poll() is not None:
            raise DriverError(f"{self.window_manager} exited on start: "
                              f"{self.log_text(self.window_manager)[-500:]}")
        if not ok:
            raise DriverError(f"{self.window_manager} did not announce itself on {self.display} "
                              f"within {self.start_timeout:g}s")

    @staticmethod
    def _remove_leftovers(display: str, pid: int) -> None:
        """Drop the lock and socket of a server we had to SIGKILL, so the number is reusable."""
        number = parse_display(display)
        lock = Path(f"/tmp/.X{number}-lock")
        try:
            owner = lock.read_text().strip()
        except OSError:
            return
        if owner == str(pid):
            lock.unlink(missing_ok=True)
            Path(f"/tmp/.X11-unix/X{number}").unlink(missing_ok=True)
