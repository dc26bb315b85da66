"""Finding and launching a Chromium for Playwright.

Playwright's own browser is used where it is installed; otherwise a system
Chromium (Debian's ``/usr/bin/chromium``, Chrome, ...) is found automatically,
because ``playwright install`` cannot always download one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ..errors import ConfigError

SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
                    "chrome")
# Quiet, container-friendly flags: no sandbox as root, no background traffic to Google.
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--disable-quic"]


def find_chromium(playwright: Any, explicit: str | None = None) -> str | None:
    """The executable to launch: an explicit path, else None for Playwright's own, else a system one."""
    explicit = explicit or os.environ.get("GUIAGENT_CHROMIUM")
    if explicit:
        if not Path(explicit).exists():
            raise ConfigError(f"Chromium executable {explicit!r} does not exist")
        return explicit
    try:
        own = playwright.chromium.executable_path
    except Exception:  # noqa: BLE001 - Playwright raises plain Errors here
        own = ""
    if own and Path(own).exists():
        return None
    for name in SYSTEM_CHROMIUMS:
        found = shutil.which(name)
        if found:
            return found
    raise ConfigError(
        "no Chromium found: run `playwright install chromium`, or install a system Chromium "
        "(Debian: `apt-get install chromium`), or set GUIAGENT_CHROMIUM=/path/to/chromium")


def launch_chromium(playwright: Any, *, headless: bool = True, executable_path: str | None = None,
                    extra_args: list[str] | None = None) -> Any:
    """Launch Chromium with guiagent's flags."""
    return playwright.chromium.launch(
        headless=headless, executable_path=find_chromium(playwright, executable_path),
        args=[*LAUNCH_ARGS, *(extra_args or [])])
