"""LibreOffice on a sandbox display, with a private, pre-answered profile.

A fresh profile greets the user with a "Tip of the day" dialog and an info
bar, which would sit on top of whatever an agent test expects to see; a
shared profile leaks state between runs and locks against a second
instance. So every start gets its own profile directory, seeded with the few
settings that silence first-run noise, and the call returns only once the
document window is mapped, idle and focused.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from guiagent.drivers.desktop_windows import WindowMatch
from guiagent.errors import ConfigError, DriverError

from .xvfb import DesktopSandbox

OfficeApp = Literal["calc", "writer"]
_WINDOW_CLASS = {"calc": "libreoffice-calc", "writer": "libreoffice-writer"}

_SETTINGS = {
    ("/org.openoffice.Office.Common/Misc", "ShowTipOfTheDay"): ("boolean", "false"),
    ("/org.openoffice.Office.Common/Misc", "FirstRun"): ("boolean", "false"),
    ("/org.openoffice.Setup/Office", "ooSetupLastVersion"): ("string", "99.0"),
    ("/org.openoffice.Setup/Product", "ooSetupLastVersion"): ("string", "99.0"),
    ("/org.openoffice.Office.Common/Misc", "UseSystemFileDialog"): ("boolean", "false"),
    ("/org.openoffice.Office.Recovery/AutoSave", "Enabled"): ("boolean", "false"),
    ("/org.openoffice.Office.Recovery/RecoveryInfo", "Enabled"): ("boolean", "false"),
    # No `.~lock.NAME#` files: a sandbox ends LibreOffice with signals, which leaves them
    # behind, and the next save to that path stops at a "Document in Use" dialog.
    ("/org.openoffice.Office.Common/Misc", "UseDocumentOOoLockFile"): ("boolean", "false"),
}


def write_profile(directory: Path) -> Path:
    """Seed ``directory`` as a LibreOffice user profile without first-run dialogs."""
    user = directory / "user"
    user.mkdir(parents=True, exist_ok=True)
    items = "\n".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse">'
        f"<value>{value}</value></prop></item>"
        for (path, name), (_kind, value) in _SETTINGS.items()
    )
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"{items}\n</oor:items>\n",
        encoding="utf-8",
    )
    return directory


@dataclass
class OfficeWindow:
    """A running LibreOffice instance and its document window."""

    process: subprocess.Popen[bytes]
    window: str
    profile: Path
    app: OfficeApp


def start_office(
    sandbox: DesktopSandbox,
    app: OfficeApp = "calc",
    *,
    profile: Path | None = None,
    document: Path | None = None,
    timeout: float = 180.0,
    env: Mapping[str, str] | None = None,
) -> OfficeWindow:
    """Launch ``soffice --calc|--writer`` with a private profile; wait for its window.

    ``env`` adds variables: ``HOME`` is where the Save As dialog opens (LibreOffice
    ignores the profile's Work path there), which is how an evaluation episode makes
    its work folder the default place to save.
    """
    if app not in _WINDOW_CLASS:
        raise ConfigError(f"unknown office app {app!r}: use calc or writer")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ConfigError(f"LibreOffice is not installed: apt-get install --no-install-recommends "
                          f"libreoffice-{app}")
    if profile is None:
        # Inside the sandbox's own temporary directory: removed when the sandbox closes.
        base = sandbox.logdir or Path(tempfile.mkdtemp(prefix="guiagent-lo-"))
        profile = Path(tempfile.mkdtemp(prefix="lo-profile-", dir=base))
    write_profile(profile)
    argv = [soffice, f"-env:UserInstallation={profile.resolve().as_uri()}", f"--{app}",
            "--norestore", "--nologo", "--nolockcheck"]
    if document is not None:
        argv.append(str(document))
    from guiagent.drivers.desktop_windows import AppSpec

    from .apps import start_app  # apps builds on this module

    spec = AppSpec(command=argv, window=WindowMatch(class_=_WINDOW_CLASS[app]), timeout=timeout)
    try:
        running = start_app(spec, sandbox=sandbox, env={"SAL_USE_VCLPLUGIN": "gen", **(env or {})})
    except DriverError as exc:
        raise DriverError(f"LibreOffice {app} did not open a window: {exc}; output: "
                          f"{sandbox.log_text(soffice)[-800:]}") from exc
    assert running.process is not None
    return OfficeWindow(process=running.process, window=str(running.window.id), profile=profile,
                        app=app)
