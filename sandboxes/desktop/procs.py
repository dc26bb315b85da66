"""Process plumbing for the desktop sandbox: spawn in own groups, end them all.

Every process the sandbox starts gets its own session (so a Ctrl-C in the
terminal reaches only the sandbox's owner, which then tears down in order) and
carries a marker variable in its environment. Children that escape their
process group (LibreOffice's ``soffice`` re-executes itself, ``xclip`` forks
into the background) still inherit the marker, so a sweep over ``/proc`` finds
them by it; nothing else on the machine is ever touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

MARKER = "GUIAGENT_SANDBOX"
T = TypeVar("T")


def spawn(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    log: Path | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session, output to ``log`` (or discarded)."""
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _signal_pid(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_groups(procs: Iterable[subprocess.Popen[bytes]], grace: float = 3.0) -> None:
    """SIGTERM each process group, wait up to ``grace`` seconds, then SIGKILL the rest.

    Each process was started with ``start_new_session``, so its pid is its group id.
    """
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for proc in procs:
        # Kill the group even if the leader exited: its children may linger.
        _signal_group(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:  # pragma: no cover - unkillable (D state)
            pass


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    env = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            env[key.decode(errors="replace")] = value.decode(errors="replace")
    return env


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def _pids() -> list[int]:
    me = os.getpid()
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me]


def marked_pids(token: str) -> list[int]:
    """Live processes whose environment carries this sandbox's marker."""
    return [
        pid for pid in _pids()
        if _environ(pid).get(MARKER) == token and not _is_zombie(pid)
    ]


def display_processes(display: str) -> list[tuple[int, list[str]]]:
    """Live processes tied to an X display: its server, or clients with that DISPLAY.

    Tests use it to prove that nothing outlives a sandbox.
    """
    found = []
    for pid in _pids():
        argv = _cmdline(pid)
        if not argv or _is_zombie(pid):
            continue
        is_server = Path(argv[0]).name in ("Xvfb", "Xorg", "Xephyr") and display in argv
        if is_server or _environ(pid).get("DISPLAY") == display:
            found.append((pid, argv))
    return found


def sweep(token: str, grace: float = 2.0) -> list[int]:
    """End stragglers carrying ``token`` (TERM, then KILL); return the pids found."""
    pids = marked_pids(token)
    for pid in pids:
        _signal_pid(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(not _is_zombie(p) for p in marked_pids(token)):
        time.sleep(0.05)
    for pid in marked_pids(token):
        _signal_pid(pid, signal.SIGKILL)
    return pids


def probe_tool(argv: Sequence[str], env: Mapping[str, str], deadline: float,
               ) -> subprocess.CompletedProcess[str] | None:
    """Run a quick X11 query, allowed until ``deadline`` (monotonic); None if it ran out.

    A fixed per-call limit (the old 5 s) ended runs on a loaded machine where the
    same query simply took longer; only the caller's overall deadline counts.
    """
    try:
        return subprocess.run(list(argv), env=dict(env), capture_output=True, text=True,
                              timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return None


def wait_until(check: Callable[[], T | None], timeout: float, interval: float = 0.05) -> T | None:
    """Poll ``check()`` until it returns something truthy; return it, or None on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)
