"""The desktop episode environment: its own X display, work folder and apps per episode.

Each episode gets a fresh :class:`~guiagent.sandboxes.desktop.DesktopSandbox`
(Xvfb + openbox on a free display number), so parallel episodes never see
each other's windows or clipboard. The task's files are copied into the
episode's work folder, its apps are launched there and waited for until their
window is ready for input (mapped, answering pings, still and focused: see
:mod:`guiagent.drivers.desktop_windows`), and only then does the agent get a
:class:`~guiagent.drivers.desktop.DesktopDriver`. LibreOffice runs with a
private profile per episode, and with ``HOME`` pointing at the work folder so
its Save As dialog opens there (it ignores the profile's Work path for new
documents). Anything that fails before the agent's first step (no free
display, Xvfb dying, an app that never shows a window) is an
:class:`~guiagent.errors.EnvironmentStartError`: the runner retries it as
infrastructure, it is not the agent's failure. ``close()`` leaves no process
behind: the sandbox ends every process group it started and sweeps ``/proc``
for strays carrying its marker.

Apps are given as strings or commands (``desktop.apps`` of a task)::

    apps: [calc]                  # LibreOffice Calc, empty sheet
    apps: ["calc budget.xlsx"]    # Calc with a file of the work folder
    apps: ["writer letter.docx"]
    apps: [[xterm, -fa, Mono]]    # any X program, started in the work folder
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..drivers.desktop_windows import APP_TIMEOUT_SECONDS
from ..errors import ConfigError, EnvironmentStartError, GuiAgentError

if TYPE_CHECKING:
    from ..drivers.desktop import DesktopDriver

OFFICE_APPS = ("calc", "writer")
#: Seconds to wait for an app's window to be ready; LibreOffice takes ~1-2 s, a minute under load.
APP_TIMEOUT = APP_TIMEOUT_SECONDS
#: After the agent stops, files must be unchanged for this long before checks read them.
SETTLE_QUIET = 1.0
SETTLE_INTERVAL = 0.2
SETTLE_TIMEOUT = 10.0


class FileToPlace(Protocol):
    """What the env reads of a task's ``desktop.files`` entry (``{from: ..., to: ...}``)."""

    from_: str
    to: str | None


class DesktopTaskSpec(Protocol):
    """What the env reads of a task's ``desktop`` mapping."""

    apps: Sequence[str | Sequence[str]]
    files: Sequence[Any]
    size: str
    wait_for: str | None


@dataclass(frozen=True)
class AppLaunch:
    """One app to start: an office app (with an optional document) or a command."""

    office: str | None = None
    document: str | None = None
    command: tuple[str, ...] = ()

    @classmethod
    def parse(cls, entry: str | Sequence[str]) -> AppLaunch:
        """``"calc"``, ``"calc budget.xlsx"`` or a command list."""
        if isinstance(entry, str):
            words = shlex.split(entry)
            if not words:
                raise ConfigError("an empty entry in desktop.apps: name an app such as calc")
            if words[0] in OFFICE_APPS:
                if len(words) > 2:
                    raise ConfigError(f"desktop app {entry!r}: give one document at most, "
                                      f"as in 'calc budget.xlsx'")
                return cls(office=words[0], document=words[1] if len(words) == 2 else None)
            return cls(command=tuple(words))
        if not entry or not all(isinstance(w, str) for w in entry):
            raise ConfigError(f"desktop app {entry!r}: a command is a non-empty list of strings")
        return cls(command=tuple(entry))


def _inside(base: Path, rel: str, what: str) -> Path:
    """``base / rel``, refusing paths that leave ``base`` (task files are not trusted)."""
    path = (base / rel).resolve()
    if not path.is_relative_to(base.resolve()):
        raise ConfigError(f"{what} {rel!r} leads outside {base}")
    return path


def place_files(files: Sequence[Any], source_dir: Path, work_dir: Path) -> list[Path]:
    """Copy each ``{from, to}`` file (``from`` relative to the suite file) into the work folder."""
    placed = []
    for item in files:
        src_rel = getattr(item, "from_", None) or (item.get("from") if isinstance(item, dict)
                                                   else None)
        if not src_rel:
            raise ConfigError(f"desktop file {item!r}: give from: (a path next to the suite file)")
        dest_rel = getattr(item, "to", None) or (item.get("to") if isinstance(item, dict)
                                                 else None) or Path(src_rel).name
        src = _inside(source_dir, src_rel, "desktop file")
        if not src.is_file():
            raise ConfigError(f"desktop file {src_rel!r} does not exist next to the suite file "
                              f"({src})")
        dest = _inside(work_dir, dest_rel, "desktop file destination")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        placed.append(dest)
    return placed


class DesktopEnv:
    """One desktop episode's world: display, work folder, apps and the driver.

    ``start(ctx)`` returns the driver the agent uses; ``close()`` ends it all.
    ``ctx`` is the episode context (``work_dir``, ``task``; ``display`` and
    ``env`` are filled in here).
    """

    kind = "desktop"

    def __init__(self, *, source_dir: Path | None = None, app_timeout: float = APP_TIMEOUT,
                 keep_logs: bool = False) -> None:
        self.source_dir = source_dir
        self.app_timeout = app_timeout
        self.keep_logs = keep_logs
        self.sandbox: Any = None
        self.driver: DesktopDriver | None = None
        self.windows: list[str] = []
        self.apps: list[AppLaunch] = []
        self.wait_for: str | None = None

    def start(self, ctx: Any) -> DesktopDriver:
        """Place the task's files and start the display; raise EnvironmentStartError on failure.

        The apps start in :meth:`begin`, after the setup steps, so that files a
        setup step copies are there when an app opens them.
        """
        from ..drivers.desktop import DesktopDriver
        from ..sandboxes.desktop import DesktopSandbox

        spec: DesktopTaskSpec | None = getattr(ctx.task, "desktop", None)
        if spec is None:
            raise ConfigError(f"task {ctx.task.id!r} has no desktop: section")
        self.apps = [AppLaunch.parse(entry) for entry in spec.apps]  # config errors first
        self.wait_for = spec.wait_for
        work_dir = Path(ctx.work_dir)
        work_dir.mkdir(parents=True, exist_ok=True)
        place_files(spec.files, self.source_dir or _task_dir(ctx.task), work_dir)
        try:
            self.sandbox = DesktopSandbox(size=spec.size, keep_logs=self.keep_logs).start()
            self.driver = DesktopDriver(display=self.sandbox.display)
            self.driver.start()
        except ConfigError:
            self.close()
            raise
        except (GuiAgentError, OSError) as exc:
            self.close()
            raise EnvironmentStartError(f"the episode's X display did not start: {exc}") from exc
        ctx.display = self.sandbox.display
        ctx.downloads_dir = work_dir
        return self.driver

    def setup_step(self, step: Any, ctx: Any) -> bool:
        """No setup step is specific to desktops (``copy`` and ``python`` work as everywhere)."""
        return False

    def begin(self, ctx: Any) -> None:
        """Launch the apps and wait until each one's window is ready for input."""
        work_dir = Path(ctx.work_dir)
        for app in self.apps:
            if app.document is not None and not _inside(work_dir, app.document,
                                                        "document").exists():
                raise ConfigError(f"desktop app opens {app.document!r}, which is not in the "
                                  "work folder: place it with desktop.files")
        try:
            for app in self.apps:
                self._launch(app, work_dir)
            if self.wait_for:
                from ..drivers.desktop_windows import WindowMatch, wait_for_app_window

                found = wait_for_app_window(self.sandbox.display, WindowMatch(title=self.wait_for),
                                            timeout=self.app_timeout)
                self.windows.append(str(found.id))
        except ConfigError:
            raise
        except (GuiAgentError, OSError) as exc:
            raise EnvironmentStartError(f"the episode's desktop apps did not start: {exc}") from exc

    def capture(self, ctx: Any) -> None:
        """Let the apps finish writing before checks read the files.

        The agent may say DONE while LibreOffice is still saving (it writes a
        ``lu*.tmp`` file next to the target and renames it), so wait until no such
        file is left and the folder has not changed for ``SETTLE_QUIET`` seconds.
        """
        from ..sandboxes.desktop.procs import wait_until

        work_dir = Path(ctx.work_dir)
        seen: dict[str, Any] = {"state": None, "since": time.monotonic()}

        def settled() -> bool:
            now = _folder_state(work_dir)
            if now != seen["state"] or any(_is_temp(Path(name)) for name, _, _ in now):
                seen["state"], seen["since"] = now, time.monotonic()
                return False
            return time.monotonic() - seen["since"] >= SETTLE_QUIET

        wait_until(settled, SETTLE_TIMEOUT, interval=SETTLE_INTERVAL)

    def _launch(self, app: AppLaunch, work_dir: Path) -> None:
        """Start one app and wait until its window is ready for input (mapped, idle, focused)."""
        from ..drivers.desktop_windows import AppSpec
        from ..sandboxes.desktop import start_app
        from ..sandboxes.desktop.office import start_office

        if app.office is not None:
            private = Path(tempfile.mkdtemp(prefix="lo-", dir=self.sandbox.logdir))
            env = {"HOME": str(work_dir), "XDG_CONFIG_HOME": str(private / "config"),
                   "XDG_CACHE_HOME": str(private / "cache")}
            document = work_dir / app.document if app.document else None
            office = start_office(self.sandbox, app.office, profile=private / "profile",
                                  document=document, timeout=self.app_timeout, env=env)
            self.windows.append(office.window)
        else:
            spec = AppSpec(command=list(app.command), timeout=self.app_timeout)
            running = start_app(spec, sandbox=self.sandbox, cwd=work_dir)
            self.windows.append(str(running.window.id))

    def close(self) -> None:
        """End the driver, every app and the display; safe to call twice."""
        if self.driver is not None:
            self.driver.close()
            self.driver = None
        if self.sandbox is not None:
            self.sandbox.close()
            self.sandbox = None
        self.windows = []


def _is_temp(path: Path) -> bool:
    """LibreOffice's file being written (``lu<random>.tmp``), renamed to the target when done."""
    return path.name.startswith("lu") and path.suffix == ".tmp"


def _folder_state(folder: Path) -> list[tuple[str, int, int]]:
    """Name, size and mtime of every file under ``folder`` (LibreOffice lock files aside)."""
    out = []
    for path in sorted(folder.rglob("*")):
        try:
            if path.is_file() and not path.name.startswith(".~lock."):
                st = path.stat()
                out.append((str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            continue  # removed while we looked: the next round sees the change
    return out


def make_env(worker: Any, task: Any) -> DesktopEnv:
    """The environment of a desktop task (what the episode runner calls)."""
    return DesktopEnv()


def _task_dir(task: Any) -> Path:
    """The folder of the suite file a task came from (files are relative to it)."""
    for name in ("source_dir", "base_dir"):
        value = getattr(task, name, None)
        if value:
            return Path(value)
    source = getattr(task, "source", None) or getattr(task, "file", None)
    if source:
        return Path(str(source).split(":", 1)[0]).parent
    return Path.cwd()
