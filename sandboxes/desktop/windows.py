"""Finding and waiting for X11 windows with xdotool and xwininfo.

Apps map their windows a while after their process starts (LibreOffice takes
seconds), and acting before that sends clicks to the bare root window. These
helpers poll with a deadline instead of ``xdotool search --sync``, which waits
forever when the app died on start.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping

from guiagent.errors import ConfigError, DriverError

from .procs import wait_until


def require_tool(tool: str, package: str) -> str:
    """Path of ``tool``, or a ConfigError naming the apt package that provides it."""
    path = shutil.which(tool)
    if path is None:
        raise ConfigError(f"{tool} is not installed: apt-get install {package}")
    return path


def run_tool(argv: list[str], env: Mapping[str, str], timeout: float = 60.0) -> str:
    """Run a short X11 tool and return its stdout; raise DriverError with its stderr."""
    try:
        done = subprocess.run(
            argv, env=dict(env), capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise DriverError(f"{' '.join(argv)} timed out after {timeout:g}s") from exc
    except FileNotFoundError as exc:
        raise ConfigError(f"{argv[0]} is not installed") from exc
    if done.returncode != 0:
        raise DriverError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def find_windows(
    env: Mapping[str, str], *, name: str | None = None, class_: str | None = None,
    pid: int | None = None, visible: bool = True, timeout: float = 30.0,
) -> list[str]:
    """Window ids (decimal strings) matching every given criterion."""
    argv = ["xdotool", "search"]
    if visible:
        argv.append("--onlyvisible")
    if pid is not None:
        argv += ["--pid", str(pid)]
    if class_ is not None:
        argv += ["--class", class_]
    if name is not None:
        argv += ["--name", name]
    if pid is None and class_ is None and name is None:
        argv += ["--name", ""]
    try:
        done = subprocess.run(argv, env=dict(env), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return []  # a busy machine: the caller's deadline decides
    # xdotool exits 1 when nothing matched: not an error here.
    return done.stdout.split()


def wait_for_window(
    env: Mapping[str, str], *, name: str | None = None, class_: str | None = None,
    pid: int | None = None, timeout: float = 30.0,
) -> str:
    """Poll until a visible window matches; return its id or raise DriverError."""
    found = wait_until(
        lambda: find_windows(env, name=name, class_=class_, pid=pid), timeout, interval=0.1,
    )
    if not found:
        what = ", ".join(
            f"{k}={v!r}" for k, v in (("name", name), ("class", class_), ("pid", pid)) if v
        )
        raise DriverError(f"no window with {what} was mapped within {timeout:g}s")
    return found[-1]


def window_geometry(env: Mapping[str, str], window: str) -> tuple[int, int, int, int]:
    """True (left, top, width, height) of a window's client area on the root.

    ``xdotool getwindowgeometry`` is off by the window manager's frame;
    ``xwininfo`` reports absolute positions.
    """
    out = run_tool(["xwininfo", "-id", window], env)
    values = {}
    for key, label in (("x", "Absolute upper-left X"), ("y", "Absolute upper-left Y"),
                       ("w", "Width"), ("h", "Height")):
        match = re.search(rf"{label}:\s+(-?\d+)", out)
        if match is None:
            raise DriverError(f"cannot read {label} of window {window} from xwininfo")
        values[key] = int(match.group(1))
    return values["x"], values["y"], values["w"], values["h"]


def activate_window(env: Mapping[str, str], window: str) -> None:
    """Raise and focus a window, waiting until the window manager has done it."""
    run_tool(["xdotool", "windowactivate", "--sync", window], env)
