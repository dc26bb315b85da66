"""Finding and launching a Chromium for Playwright.

Playwright's own browser is used where it is installed; otherwise a system
Chromium (Debian's ``/usr/bin/chromium``, Chrome, ...) is found automatically,
because ``playwright install`` cannot always download one.

Headless launches prefer the *headless shell* (Debian's ``chromium-headless-shell``),
as Playwright itself does with its own browsers: the same Blink renderer without
the desktop browser's windows and WebUI, so about a third less CPU per episode
(measured in ``benchmarks/parallel_episodes.py``). Without it, full Chromium runs
in its ``--headless`` mode.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

from ..errors import ConfigError

#: Tried first for headless launches (what Playwright's own headless default is).
SYSTEM_HEADLESS_SHELLS = ("chromium-headless-shell", "chrome-headless-shell")
SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
                    "chrome")
# Quiet, container-friendly flags: no sandbox as root, no background traffic to Google.
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--disable-quic"]


def find_chromium(playwright: Any, explicit: str | None = None, *,
                  headless: bool = False) -> str | None:
    """The executable to launch: an explicit path, else None for Playwright's own, else a system
    one (for ``headless``, a system headless shell first)."""
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
    for name in (*SYSTEM_HEADLESS_SHELLS, *SYSTEM_CHROMIUMS) if headless else SYSTEM_CHROMIUMS:
        found = shutil.which(name)
        if found:
            return found
    raise ConfigError(
        "no Chromium found: run `playwright install chromium`, or install a system Chromium "
        "(Debian: `apt-get install chromium`), or set GUIAGENT_CHROMIUM=/path/to/chromium")


def launch_chromium(playwright: Any, *, headless: bool = True, executable_path: str | None = None,
                    extra_args: list[str] | None = None) -> Any:
    """Launch Chromium with guiagent's flags.

    Behind the network filter's proxy, full Chromium even when headless: closing a headless
    shell's page whose navigation the proxy refused (a meta refresh to another host) can
    hang for minutes, where full Chromium closes it at once.
    """
    proxied = any(arg.startswith("--proxy-server") for arg in extra_args or [])
    return playwright.chromium.launch(
        headless=headless, executable_path=find_chromium(
            playwright, executable_path, headless=headless and not proxied),
        args=[*LAUNCH_ARGS, *(extra_args or [])],
        # Ctrl-C ends a run after the current action (guiagent.interrupts); Playwright's
        # default would kill the browser under that action first.
        handle_sigint=False)


_local = threading.local()


def acquire_playwright() -> Any:
    """This thread's Playwright instance, started on first use and shared by reference count.

    Playwright's sync API allows one instance per thread, so two drivers in one
    thread (a test measuring a page while an agent runs, say) must share it.
    """
    if getattr(_local, "count", 0) == 0:
        from playwright.sync_api import sync_playwright

        _local.playwright = sync_playwright().start()
    _local.count = getattr(_local, "count", 0) + 1
    return _local.playwright


def release_playwright() -> None:
    """Drop one reference; stop Playwright when the last driver of the thread lets go."""
    count = getattr(_local, "count", 0)
    if count <= 0:
        return
    _local.count = count - 1
    if _local.count == 0:
        playwright, _local.playwright = _local.playwright, None
        playwright.stop()
