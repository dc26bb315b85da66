"""A disposable X11 desktop (Xvfb + openbox) for tests, benchmarks and the CLI."""

from guiagent.drivers.desktop_windows import AppSpec, WindowInfo, WindowMatch, wait_for_app_window

from .apps import RunningApp, find_or_start_app, start_app
from .office import OfficeWindow, start_office, write_profile
from .probe import ProbeLog, launch_probe
from .procs import display_processes
from .windows import activate_window, find_windows, wait_for_window, window_geometry
from .xvfb import DesktopSandbox, ensure_xauthority, free_displays

__all__ = [
    "AppSpec",
    "RunningApp",
    "WindowInfo",
    "WindowMatch",
    "find_or_start_app",
    "start_app",
    "wait_for_app_window",
    "DesktopSandbox",
    "OfficeWindow",
    "ProbeLog",
    "activate_window",
    "display_processes",
    "ensure_xauthority",
    "find_windows",
    "free_displays",
    "launch_probe",
    "start_office",
    "wait_for_window",
    "window_geometry",
    "write_profile",
]
