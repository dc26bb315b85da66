"""Launch an application on a display and return once its window is ready for input.

:class:`AppSpec` is what a skill's ``app:`` section, ``--app`` and evaluation
tasks declare: a command and the window to wait for. :func:`start_app` runs
the command (in a :class:`~.xvfb.DesktopSandbox`, or on any display) and waits
with :func:`guiagent.drivers.desktop_windows.wait_for_app_window` until the
window is mapped, answers pings, holds still and has the focus; if the program
exits with an error first, the wait ends at once with its output.

LibreOffice (``soffice``, ``libreoffice``, ``localc``, ``lowriter``, ...) gets
a private profile seeded without first-run dialogs unless the command names
its own ``-env:UserInstallation``: a fresh profile greets the user with a
"Tip of the day" dialog that would swallow the first keys.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from guiagent.drivers.desktop_windows import (
    AppSpec,
    WindowInfo,
    WindowMatch,
    client_windows,
    wait_for_app_window,
)
from guiagent.errors import AppNotReadyError, ConfigError

from .office import write_profile
from .procs import MARKER, spawn, stop_groups, sweep
from .xvfb import DesktopSandbox

OFFICE_PROGRAMS = {"soffice", "libreoffice", "localc", "lowriter", "loimpress", "lodraw"}


@dataclass
class RunningApp:
    """A launched application and its ready window; :meth:`stop` ends what we started."""

    spec: AppSpec
    window: WindowInfo
    process: subprocess.Popen[bytes] | None = None
    token: str | None = None  # marker of processes to sweep on stop (display mode)
    log: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        """End the app's process group and anything that carries its marker."""
        if self.process is not None:
            stop_groups([self.process])
        if self.token is not None:
            sweep(self.token)


def prepare_command(argv: list[str], workdir: Path) -> tuple[list[str], dict[str, str]]:
    """The command to run and extra environment: LibreOffice gets a quiet private profile."""
    if Path(argv[0]).name not in OFFICE_PROGRAMS or any(
            a.startswith("-env:UserInstallation") for a in argv):
        return list(argv), {}
    profile = write_profile(Path(tempfile.mkdtemp(prefix="lo-profile-", dir=workdir)))
    return ([argv[0], f"-env:UserInstallation={profile.resolve().as_uri()}", *argv[1:]],
            {"SAL_USE_VCLPLUGIN": "gen"})


def office_window(argv: list[str]) -> WindowMatch | None:
    """The document window a LibreOffice command opens (``--calc`` -> ``libreoffice-calc``).

    LibreOffice maps and destroys a helper window while starting; waiting for "any new
    window" could settle on it, so an office command without a window match gets this one.
    """
    if Path(argv[0]).name not in OFFICE_PROGRAMS:
        return None
    short = {"localc": "calc", "lowriter": "writer", "loimpress": "impress", "lodraw": "draw"}
    app = short.get(Path(argv[0]).name) or next(
        (a[2:] for a in argv[1:] if a[2:] in ("calc", "writer", "impress", "draw", "math")), None)
    return WindowMatch(class_=f"libreoffice-{app}" if app else "libreoffice")


def _log_tail(path: Path | None, limit: int = 600) -> str:
    if path is None or not path.exists():
        return ""
    text = path.read_text(errors="replace").strip()
    return f"; its output: {text[-limit:]}" if text else ""


def start_app(
    spec: AppSpec,
    *,
    sandbox: DesktopSandbox | None = None,
    display: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> RunningApp:
    """Launch ``spec`` in ``sandbox`` (or on ``display``) and wait until its window is ready.

    On a display that is not a sandbox the app's processes carry a marker of their
    own, and :meth:`RunningApp.stop` ends them (the caller must call it).
    """
    target = sandbox.display if sandbox is not None else display
    if not target:
        raise ConfigError("start_app needs a sandbox or a display")
    workdir = (sandbox.logdir if sandbox is not None and sandbox.logdir else
               Path(tempfile.mkdtemp(prefix="guiagent-app-")))
    argv, extra_env = prepare_command(spec.command, workdir)
    before = {w.id for w in client_windows(target)}
    token = None
    log = None
    if sandbox is not None:
        proc = sandbox.launch(argv, env={**extra_env, **(env or {})}, cwd=cwd)
    else:
        token = secrets.token_hex(8)
        log = workdir / f"{Path(argv[0]).name}.log"
        run_env = {**os.environ, **(env or {}), **extra_env, "DISPLAY": target, MARKER: token}
        try:
            proc = spawn(argv, run_env, log=log, cwd=cwd)
        except OSError as exc:
            raise ConfigError(f"cannot launch {spec.describe()}: {exc.strerror or exc}") from exc

    def alive() -> str | None:
        code = proc.poll()
        if code is None or code == 0:  # a launcher may hand over to another process and exit 0
            return None
        output = (_log_tail(log) if sandbox is None else
                  f"; its output: {sandbox.log_text(argv[0])[-600:]}")
        return f"{spec.describe()} exited with status {code}{output}"

    app = RunningApp(spec=spec, window=WindowInfo(0, "", ()), process=proc, token=token, log=log)
    try:
        app.window = wait_for_app_window(target, spec.window or office_window(spec.command),
                                         timeout=spec.timeout,
                                         exclude=before, alive=alive)
    except BaseException as exc:
        if sandbox is None:
            app.stop()
        if isinstance(exc, AppNotReadyError):
            raise AppNotReadyError(f"{spec.describe()} is not ready: {exc}") from exc
        raise
    return app


def find_or_start_app(spec: AppSpec, display: str) -> RunningApp:
    """On a display we do not own: use a matching window if one is open, else start the app."""
    if spec.window is not None and any(spec.window.matches(w) for w in client_windows(display)):
        window = wait_for_app_window(display, spec.window, timeout=spec.timeout)
        return RunningApp(spec=spec, window=window)
    return start_app(spec, display=display)
