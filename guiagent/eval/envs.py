"""Episode environments: the world one episode runs in, started fresh and torn down after.

An :class:`EpisodeEnv` starts the episode's world and hands over the driver the
agent uses, runs the environment-specific setup steps, records the final state
for the checks, and tears everything down. :class:`BrowserEnv` gives each
episode its own browser context (cookies, storage and pages of its own) in the
worker's one Chromium, and its own web sandbox server with its own SQLite in
the episode's work folder when the task mentions ``{sandbox}``.

A worker keeps its Chromium across episodes (:class:`WorkerBrowser`): launching
one costs about a second and 100 MB, a context costs a few milliseconds. A
crashed browser is noticed and relaunched for the next episode.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Protocol

from ..drivers.base import Driver
from ..drivers.page_files import DOWNLOADS
from ..errors import EnvironmentStartError
from ..geometry import Size
from .context import EpisodeContext
from .schema import OpenStep


class EpisodeEnv(Protocol):
    """One episode's world: start it, prepare it, expose its state, tear it down."""

    def start(self, ctx: EpisodeContext) -> Driver:
        """Start the world (fill ``ctx``: sandbox_url, db_path, page, display); return the driver.

        Raise :class:`~guiagent.errors.EnvironmentStartError` when the world cannot start.
        """
        ...

    def setup_step(self, step: Any, ctx: EpisodeContext) -> bool:
        """Carry out an environment-specific setup step; False when it is not one of this env's."""
        ...

    def begin(self, ctx: EpisodeContext) -> None:
        """After setup: show the task's start state (open its URL, ...)."""
        ...

    def capture(self, ctx: EpisodeContext) -> None:
        """After the agent: record the final state the checks read (``final_url``, ...)."""
        ...

    def close(self) -> None:
        """Tear the world down (idempotent, never raises)."""
        ...


class WorkerBrowser:
    """The one Chromium of a worker (process or thread), launched on first use, relaunched after a crash."""

    def __init__(self, *, headless: bool = True, executable_path: str | None = None) -> None:
        self.headless, self.executable_path = headless, executable_path
        self._pw: Any = None
        self._browser: Any = None
        self.launches = 0

    def get(self) -> Any:
        """A connected browser."""
        if self._browser is not None and not self._browser.is_connected():
            self._browser = None
        if self._browser is None:
            from ..drivers.browser import acquire_playwright, launch_chromium

            try:
                if self._pw is None:
                    self._pw = acquire_playwright()
                self._browser = launch_chromium(self._pw, headless=self.headless,
                                                executable_path=self.executable_path)
            except Exception as exc:
                raise EnvironmentStartError(f"cannot launch Chromium: {exc}") from exc
            self.launches += 1
        return self._browser

    def discard(self) -> None:
        """Drop the browser (after an infrastructure error) so the next episode gets a fresh one."""
        browser, self._browser = self._browser, None
        if browser is not None:
            try:
                browser.close()
            except Exception:  # noqa: BLE001,S110 - it may be the crashed one
                pass

    def close(self) -> None:
        """Close the browser and let go of Playwright."""
        self.discard()
        if self._pw is not None:
            from ..drivers.browser import release_playwright

            release_playwright()
            self._pw = None


def uses_sandbox(task: Any) -> bool:
    """Whether the task's URL, setup or checks mention the web sandbox."""
    return "{sandbox}" in task.model_dump_json() or any(
        type(s).__name__ in ("ResetStep", "SeedStep") for s in task.setup)


def copy_downloads(folder: Path, work_dir: Path) -> list[Path]:
    """Copy the plain files of ``folder`` into ``work_dir``; existing files and links are left alone."""
    copied: list[Path] = []
    if folder.is_symlink() or not folder.is_dir():
        return copied
    for source in sorted(folder.iterdir()):
        target = work_dir / source.name
        if source.is_symlink() or not source.is_file() or os.path.lexists(target):
            continue
        work_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied.append(target)
    return copied


class BrowserEnv:
    """A browser episode: own context in the worker's Chromium, own web sandbox and SQLite."""

    def __init__(self, browser: WorkerBrowser, *, viewport: str = "1280x720",
                 image_format: str = "jpeg", jpeg_quality: int = 85,
                 pristine_db: Path | None = None, allow_domains: list[str] | None = None) -> None:
        self.browser = browser
        #: Hosts the episode's browser may reach (the sandbox is added); empty: any. With an
        #: allow list the episode gets a browser of its own behind the filtering proxy.
        self.allow_domains = list(allow_domains or [])
        #: A worker's copy of a freshly created sandbox database: copying it is much cheaper
        #: than creating and seeding one per episode (SQLite commits wait for the disk).
        self.pristine_db = pristine_db
        self.viewport = Size.parse(viewport)
        self.image_format, self.jpeg_quality = image_format, jpeg_quality
        self.sandbox: Any = None
        self.driver: Any = None

    def start(self, ctx: EpisodeContext) -> Driver:
        """Start the sandbox (if the task uses one) and open a fresh context on about:blank."""
        from ..drivers.playwright import PlaywrightDriver

        if uses_sandbox(ctx.task):
            from ..sandboxes.web import WebSandbox

            db = ctx.work_dir.parent / "sandbox.sqlite3"  # kept as evidence, out of the agent's way
            try:
                if self.pristine_db is not None and self.pristine_db.exists():
                    shutil.copyfile(self.pristine_db, db)
                self.sandbox = WebSandbox(db_path=db)
                self.sandbox.start()
                if self.pristine_db is not None and not self.pristine_db.exists():
                    shutil.copyfile(db, self.pristine_db)
            except OSError as exc:
                raise EnvironmentStartError(f"cannot start the web sandbox: {exc}") from exc
            ctx.sandbox_url, ctx.db_path = self.sandbox.url, self.sandbox.db_path
        ctx.downloads_dir = ctx.work_dir
        # A task may ask for its own page size and pixel density (MiniWoB++: a 160x210 area at 3x).
        viewport = ctx.task.extra.get("viewport") or self.viewport
        scale = float(ctx.task.extra.get("device_scale_factor") or 1.0)
        domains = self.allow_domains
        if domains and ctx.sandbox_url:
            domains = [*domains, ctx.sandbox_url.split("://", 1)[1]]
        ctx.extra["allow_domains"] = domains
        uploads = [ctx.task.suite_file(f, "upload file") for f in ctx.task.upload_files]
        self.driver = PlaywrightDriver(None, viewport=viewport, allow_domains=domains,
                                       browser=None if domains else self.browser.get(),
                                       device_scale_factor=scale,
                                       screenshot_scale="device" if scale != 1.0 else "css",
                                       image_format=self.image_format,
                                       jpeg_quality=self.jpeg_quality, upload_files=uploads)
        try:
            self.driver.start()
        except Exception as exc:
            raise EnvironmentStartError(f"cannot open a browser context: {exc}") from exc
        ctx.page = self.driver.site_page
        return self.driver

    def setup_step(self, step: Any, ctx: EpisodeContext) -> bool:
        """``open:`` loads a page in the episode's browser."""
        if isinstance(step, OpenStep):
            self.goto(ctx.expand(step.open))
            return True
        return False

    def goto(self, url: str) -> None:
        """Load ``url`` and wait for it (an unreachable start page is infrastructure)."""
        try:
            self.driver.site_page.goto(url, wait_until="load")
        except Exception as exc:
            raise EnvironmentStartError(f"cannot open {url}: {exc}") from exc

    def begin(self, ctx: EpisodeContext) -> None:
        """Open the task's URL."""
        if ctx.task.url:
            self.driver.url = ctx.expand(ctx.task.url)
            self.goto(self.driver.url)

    def capture(self, ctx: EpisodeContext) -> None:
        """The page the agent ended on (it may have followed a popup), and its downloads.

        The driver saved each download into the run folder's ``downloads/`` (safe names, never
        through a link); copies land in the work folder so ``file`` checks read them there.
        """
        page = self.driver.site_page if self.driver is not None else None
        ctx.page = page
        try:
            ctx.final_url = page.url if page is not None else None
        except Exception:  # noqa: BLE001 - a crashed page has no URL
            ctx.final_url = None
        copy_downloads(ctx.run_dir / DOWNLOADS, ctx.work_dir)

    def close(self) -> None:
        """Close the context and stop the sandbox."""
        if self.driver is not None:
            self.driver.close()
            self.driver = None
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
