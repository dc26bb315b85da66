"""Writing into run folders that may come from someone else: never through a link.

A run folder is untrusted input: its ``report.html``, ``run.gif``, a
screenshot or a leftover ``run.json.tmp`` may be a symbolic link to a file of
the user's (``~/.bashrc``). Opening such a path for writing writes *through*
the link. :func:`write_atomic` instead writes a new temporary file (a fresh,
exclusively created name) beside the target and renames it over the target:
the rename replaces a link itself, never what it points to, and a reader
never sees a half-written file.

:func:`prepare_run_dir` refuses to write a run into a folder that already
holds files (two runs mixed in one log) unless told to overwrite.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import ConfigError

_UMASK = os.umask(0)
os.umask(_UMASK)

#: What a run (or replay) writes into its folder; ``--overwrite`` removes exactly these.
RUN_ARTIFACTS = ("run.json", "steps.jsonl", "screenshots", "report.html", "run.gif",
                 "agents", "divergence", "traceback.txt")


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a new temporary file and an atomic rename."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o666 & ~_UMASK)
            file.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def open_new_for_append(path: str | Path) -> int:
    """A descriptor for appending to a file that must not exist yet (nor be a link)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.open(path, flags, 0o666)


def inside(root: Path, rel: str) -> Path:
    """``root / rel``, refusing paths that leave ``root`` (absolute, ``..``)."""
    path = Path(rel)
    if path.is_absolute() or ".." in path.parts or not rel:
        raise ConfigError(f"{rel!r} is not a path inside the run folder")
    return root / path


def prepare_run_dir(run_dir: str | Path, overwrite: bool = False) -> Path:
    """Create ``run_dir``; refuse one that holds files unless ``overwrite``.

    With ``overwrite`` the previous run's files (:data:`RUN_ARTIFACTS`) are removed
    (links are unlinked, never followed); anything else in the folder is left alone.
    """
    run_dir = Path(run_dir)
    if run_dir.is_symlink() and not run_dir.is_dir():
        raise ConfigError(f"{run_dir} is a link to a file, not a folder for a run")
    if run_dir.is_dir():
        if any(run_dir.iterdir()):
            if not overwrite:
                raise ConfigError(
                    f"{run_dir} is not empty; a run needs a folder of its own (two runs in one "
                    "folder mix their steps). Choose another --out, or pass --overwrite to "
                    "replace the run in it")
            for name in RUN_ARTIFACTS:
                _remove(run_dir / name)
            for tmp in run_dir.glob("*.tmp"):
                _remove(tmp)
    elif run_dir.exists():
        raise ConfigError(f"{run_dir} exists and is not a folder")
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
