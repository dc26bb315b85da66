"""Busy processes that keep cores loaded, for load variants of the desktop tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def cpu_hog(count: int | None = None) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Run ``count`` (default: one per core) spinning Python processes until the block ends."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
             for _ in range(count or os.cpu_count() or 2)]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait(timeout=30)
