"""Rebuilding the driver a run was recorded with, from ``run.json``'s ``driver`` dict.

A replay must see the screen as the recording did: same driver kind, same
viewport, scale and image format. Only the place may change (``url`` when
the sandbox now listens on another port, ``display`` for another X server).
"""

from __future__ import annotations

from typing import Any

from ..drivers.base import Driver
from ..errors import ConfigError
from ..runlog import RunRecord


def driver_for_run(record: RunRecord, *, url: str | None = None, desktop: bool = False,
                   display: str | None = None, headless: bool = True) -> Driver:
    """A fresh, unstarted driver configured like the recorded one."""
    recorded: dict[str, Any] = record.driver or {}
    name = recorded.get("name") or ("desktop" if desktop else "playwright")
    if desktop and name != "desktop":
        raise ConfigError(f"this run was recorded with the {name!r} driver, not the desktop: "
                          "replay it without --desktop (give --url to change the start page)")
    if url and name != "playwright":
        raise ConfigError(f"--url applies to browser runs; this run used the {name!r} driver")
    if name == "playwright":
        from ..drivers.playwright import PlaywrightDriver

        start = url or recorded.get("url")
        if not start:
            raise ConfigError("run.json records no start URL for the browser: pass --url URL")
        return PlaywrightDriver(
            start, viewport=recorded.get("viewport") or "1280x720", headless=headless,
            device_scale_factor=float(recorded.get("device_scale_factor") or 1.0),
            screenshot_scale=recorded.get("screenshot_scale") or "css",
            image_format=recorded.get("image_format") or "jpeg")
    if name == "desktop":
        try:
            from ..drivers.desktop import DesktopDriver
        except ImportError as exc:
            raise ConfigError(f"the desktop driver is unavailable ({exc}); "
                              "pip install 'guiagent[desktop]'") from exc
        region = recorded.get("region")
        return DesktopDriver(
            display=display or recorded.get("display"), monitor=int(recorded.get("monitor") or 1),
            region=tuple(region) if region else None,
            backend=recorded.get("backend") or "pyautogui",
            screenshot_scale=float(recorded.get("screenshot_scale") or 1.0))
    raise ConfigError(f"cannot replay a run recorded with the {name!r} driver: "
                      "replay knows the 'playwright' and 'desktop' drivers")
