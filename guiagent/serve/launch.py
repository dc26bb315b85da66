"""Start a model server, wait until it answers, and stop it (and its children) cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request


def start(argv: list[str]) -> subprocess.Popen[bytes]:
    """Start the server in its own process group (its workers are stopped with it)."""
    return subprocess.Popen(argv, start_new_session=True)  # noqa: S603 - our own argv


def answers(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of GET ``url`` (None: no answer)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - http(s) only
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def ready(origin: str) -> bool:
    """Healthy: ``/health`` says 200 (vLLM, SGLang) or is absent, and ``/v1/models`` answers."""
    health = answers(f"{origin}/health")
    if health not in (200, 404):
        return False
    return answers(f"{origin}/v1/models") == 200


def wait_ready(proc: subprocess.Popen[bytes], origin: str, timeout: float,
               poll: float = 0.5) -> str | None:
    """Wait until the server is ready; None when it is, else why not."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            return f"the server exited with status {proc.returncode} before it was ready"
        if ready(origin):
            return None
        if time.monotonic() > deadline:
            return f"the server did not become healthy within {timeout:g}s"
        try:
            proc.wait(timeout=poll)  # returns at once when the server exits
        except subprocess.TimeoutExpired:
            pass


def stop(proc: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left after ``grace``."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
    else:
        _signal_group(proc, signal.SIGTERM)  # workers that outlived the leader


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
