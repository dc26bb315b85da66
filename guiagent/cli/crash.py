"""One clear message instead of a raw traceback, whatever a command raises.

Commands catch the errors they expect (bad options, a model server that is down,
an app that never showed its window) and print them in one line with what to do.
Anything else is a bug: :func:`main` writes the traceback to a file (in the run
folder when the command has one, else the temporary folder), prints one line
saying where, and exits 1.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from ..files import write_atomic

_run_dir: Path | None = None


def set_run_dir(path: Path | None) -> None:
    """Tell the crash handler which run folder the current command writes."""
    global _run_dir
    _run_dir = path


def crash_file(exc: BaseException) -> Path:
    """Write the traceback of ``exc`` to a file and return its path."""
    text = "".join(traceback.format_exception(exc))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if _run_dir is not None:
        try:
            _run_dir.mkdir(parents=True, exist_ok=True)
            return write_atomic(_run_dir / "traceback.txt", text)  # never through a link
        except OSError:
            pass
    fd, name = tempfile.mkstemp(prefix=f"guiagent-crash-{stamp}-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return Path(name)


def guarded(entry: Callable[[], object]) -> None:
    """Run a typer app; turn an unexpected exception into one line and exit status 1."""
    try:
        entry()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence, by design
        path = crash_file(exc)
        first = (str(exc).splitlines() or [""])[0][:300]
        print(f"error: guiagent hit an unexpected {type(exc).__name__}: {first}\n"
              f"This is a bug in guiagent, not in your input. The traceback is in {path}; "
              "please attach it to a bug report.", file=sys.stderr)
        if _run_dir is not None and (_run_dir / "run.json").exists():
            print(f"run log: {_run_dir}", file=sys.stderr)
        raise SystemExit(1) from None
