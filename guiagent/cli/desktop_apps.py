"""Desktop setup shared by ``guiagent run`` and ``guiagent skill run``: display and apps.

Without ``--display`` a fresh sandbox desktop is started; every app (``--app``,
or a skill's declared ``app:``) is launched in it and waited for until its
window is mapped, idle and focused, so the first screenshot and the first key
reach a ready application. With ``--display`` an app whose window is already
open is used as it is; otherwise it is started there and ended after the run.
"""

from __future__ import annotations

from contextlib import ExitStack

from rich.console import Console
from rich.markup import escape

from ..drivers.desktop_windows import AppSpec, WindowMatch
from ..errors import ConfigError


def app_specs(commands: list[str], declared: AppSpec | None = None,
              timeout: float | None = None) -> list[AppSpec]:
    """``--app`` commands as specs (the first keeps a skill's window match), else the skill's."""
    specs: list[AppSpec] = []
    for n, command in enumerate(commands):
        window = declared.window if declared is not None and n == 0 else None
        try:
            specs.append(AppSpec(command=command, window=window))  # type: ignore[arg-type]
        except ValueError as exc:
            raise ConfigError(f"--app {command!r}: {exc}") from exc
    if not specs and declared is not None:
        specs.append(declared)
    if timeout is not None:
        specs = [s.model_copy(update={"timeout": timeout}) for s in specs]
    return specs


def desktop_display(display: str | None, size: str, apps: list[AppSpec], stack: ExitStack,
                    err: Console) -> str:
    """The display to drive, with every app ready on it; ``stack`` undoes it all.

    guiagent never touches the user's real display unless told to with --display.
    """
    from ..sandboxes.desktop import DesktopSandbox, find_or_start_app, start_app

    sandbox = None
    if not display:
        sandbox = stack.enter_context(DesktopSandbox(size=size))
        display = sandbox.display
        err.print(f"desktop sandbox: DISPLAY={display} ({sandbox.size})")
    for spec in apps:
        waiting = spec.window.describe() if spec.window else "its window"
        err.print(f"starting {escape(spec.describe())}; waiting up to {spec.timeout:g}s for "
                  f"{escape(waiting)} to be ready", markup=True)
        if sandbox is not None:
            running = start_app(spec, sandbox=sandbox)
        elif spec.window is not None:
            running = find_or_start_app(spec, display)
        else:
            running = start_app(spec, display=display)
        stack.callback(running.stop)
        err.print(f"ready: {escape(running.window.describe())}", markup=True)
    return display


__all__ = ["AppSpec", "WindowMatch", "app_specs", "desktop_display"]
