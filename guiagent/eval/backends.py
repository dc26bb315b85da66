"""Where episodes run: the :class:`Backend` protocol and the local parallel backend.

Processes, not threads: Playwright's sync API binds each instance to the
thread that started it and runs its own event loop there, a crashed or wedged
browser is best contained in its own process, and screenshot encoding and
JSON work do not contend for one GIL. Each worker process keeps one Chromium
for all its episodes (a fresh context per episode) and takes the next episode
as soon as it is free; nothing is shared between workers but the results
folder, and only the driver process writes ``results.jsonl``.

Workers die with the driver (``PR_SET_PDEATHSIG`` on Linux): after a SIGKILL
of ``guiagent eval`` no orphan keeps writing into an episode folder that
``--resume`` is about to run again.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Protocol

from .episode import EpisodeResult, EpisodeSpec, EvalSettings, Worker, run_episode

ResultCallback = Callable[[EpisodeResult], None]


class Backend(Protocol):
    """Runs episodes and reports each result as soon as it is known (in any order)."""

    def run(self, specs: list[EpisodeSpec], on_result: ResultCallback) -> None:
        """Run every spec; call ``on_result`` in the calling thread once per spec."""
        ...


class LocalBackend:
    """``workers`` episodes at a time on this machine: in this process for 1, else in worker processes."""

    def __init__(self, settings: EvalSettings, workers: int = 1) -> None:
        self.settings = settings
        self.workers = max(1, workers)

    def run(self, specs: list[EpisodeSpec], on_result: ResultCallback) -> None:
        """Run the episodes; Ctrl-C stops the workers (finished episodes are already reported)."""
        if not specs:
            return
        if self.workers == 1:
            self._run_inline(specs, on_result)
        else:
            self._run_pool(specs, on_result)

    def _run_inline(self, specs: list[EpisodeSpec], on_result: ResultCallback) -> None:
        worker = Worker(self.settings)
        try:
            for spec in specs:
                on_result(run_episode(spec, worker))
        finally:
            worker.close()

    def _run_pool(self, specs: list[EpisodeSpec], on_result: ResultCallback) -> None:
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(specs)),
                                   mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(self.settings,))
        pending: dict[Future[EpisodeResult], EpisodeSpec] = {}
        try:
            pending = {pool.submit(_run_in_worker, spec): spec for spec in specs}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    spec = pending.pop(future)
                    on_result(_result_of(future, spec))
        except BaseException:
            _stop_pool(pool)
            raise
        pool.shutdown(wait=True)


def _result_of(future: Future[EpisodeResult], spec: EpisodeSpec) -> EpisodeResult:
    """The episode's result, or an infrastructure failure when its worker died."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - BrokenProcessPool, a pickling error, ...
        return EpisodeResult(task=spec.task.id, repeat=spec.repeat, success=False, outcome="error",
                             error_kind="infra", category="infra", tags=spec.task.tags,
                             error=f"the worker process failed: {type(exc).__name__}: {exc}")


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (they would finish their episode)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)


_WORKER: Worker | None = None


def _init_worker(settings: EvalSettings) -> None:
    """Worker process start: die with the driver, leave Ctrl-C to it, keep one browser."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    _WORKER = Worker(settings)
    atexit.register(_WORKER.close)


def _run_in_worker(spec: EpisodeSpec) -> EpisodeResult:
    assert _WORKER is not None, "worker not initialised"
    return run_episode(spec, _WORKER)


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except OSError:
        return
    if os.getppid() == 1:  # the parent is already gone
        os._exit(1)
