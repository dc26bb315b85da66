"""Rebuilding the driver a run was recorded with, from ``run.json``'s ``driver`` dict.

A replay must see the screen as the recording did: same driver kind, same
viewport, scale and image format, and the domains a browser was kept to.
Only the place may change (``url`` when the sandbox now listens on another
port). A desktop replay needs the display named by the user: a run folder may
come from someone else, and its recorded display (or ``$DISPLAY``) may be the
user's real desktop.
"""

from __future__ import annotations

from typing import Any

from ..drivers.base import Driver
from ..errors import ConfigError
from ..runlog import RunRecord
from ..secrets import Secrets, SecretsDriver, placeholder


def driver_for_run(record: RunRecord, *, url: str | None = None, desktop: bool = False,
                   display: str | None = None, headless: bool = True,
                   secrets: Secrets | None = None) -> Driver:
    """A fresh, unstarted driver configured like the recorded one.

    A run that typed secrets (``driver.secrets`` in run.json lists their names) needs
    the same secrets again: the log holds only their placeholders.
    """
    driver = _driver(record, url=url, desktop=desktop, display=display, headless=headless)
    names = list((record.driver or {}).get("secrets") or [])
    if not names:
        return driver
    missing = [name for name in names if secrets is None or name not in secrets.names]
    if missing:
        raise ConfigError(
            f"this run typed the secret(s) {', '.join(placeholder(n) for n in missing)}; give "
            f"their values with --secret NAME=VALUE, --secrets-file FILE or GUIAGENT_SECRET_NAME")
    assert secrets is not None
    return SecretsDriver(driver, secrets)


def _driver(record: RunRecord, *, url: str | None, desktop: bool, display: str | None,
            headless: bool) -> Driver:
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
            allow_domains=[str(d) for d in recorded.get("allow_domains") or []],
            device_scale_factor=float(recorded.get("device_scale_factor") or 1.0),
            screenshot_scale=recorded.get("screenshot_scale") or "css",
            image_format=recorded.get("image_format") or "jpeg")
    if name == "desktop":
        if not display:
            raise ConfigError(
                "a desktop replay needs --display :N, the X display to drive (a sandbox: "
                "`guiagent sandbox desktop`); it never falls back to the recorded display or "
                "$DISPLAY, which may be your real desktop")
        try:
            from ..drivers.desktop import DesktopDriver
        except ImportError as exc:
            raise ConfigError(f"the desktop driver is unavailable ({exc}); "
                              "pip install 'guiagent[desktop]'") from exc
        region = recorded.get("region")
        return DesktopDriver(
            display=display, monitor=int(recorded.get("monitor") or 1),
            region=tuple(region) if region else None,
            backend=recorded.get("backend") or "pyautogui",
            screenshot_scale=float(recorded.get("screenshot_scale") or 1.0))
    raise ConfigError(f"cannot replay a run recorded with the {name!r} driver: "
                      "replay knows the 'playwright' and 'desktop' drivers")
