"""A disposable X11 desktop (Xvfb + openbox) for tests, benchmarks and the CLI."""

from .procs import display_processes
from .windows import activate_window, find_windows, wait_for_window, window_geometry
from .xvfb import DesktopSandbox, ensure_xauthority, free_displays

__all__ = [
    "DesktopSandbox",
    "activate_window",
    "display_processes",
    "ensure_xauthority",
    "find_windows",
    "free_displays",
    "wait_for_window",
    "window_geometry",
]
