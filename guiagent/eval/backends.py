"""Where episodes run: the :class:`Backend` protocol and the local parallel backend.

Processes, not threads: Playwright's sync API binds each instance to the
thread that started it and runs its own event loop there, a crashed or wedged
browser is best contained in its own process, and screenshot encoding and
JSON work do not contend for one GIL. Each worker process keeps one Chromium
for all its episodes (a fresh context per episode) and takes the next episode
as soon as it is free; nothing is shared between workers but the results
folder, and only the driver process writes ``results.jsonl``.

An episode still running past its deadline (its time limit for every attempt,
plus a grace) is presumed wedged (a hung browser): the pool is stopped, that
episode reported as an infrastructure error, and the unfinished ones run on in
a new pool. Before it is stopped, the wedged worker is asked (SIGUSR1, via
:mod:`faulthandler`) to write every thread's stack, which lands in the episode's
folder as ``stacks.txt``: a hang is then a bug report, not a mystery. At the
end, workers get a while to close their browsers, then are stopped.

Worker processes come from a fork server that imported guiagent's episode code once
(importing it costs about 1.7 CPU-seconds, per worker when each is spawned afresh): a
fresh interpreter without threads or browsers, so forking it is safe; where there is no
fork server (Windows), workers are spawned. Workers die with the driver (a thread waits
on a pidfd of the driver process, as a forked worker's parent is the fork server, which
lives as long as its children do; ``PR_SET_PDEATHSIG`` for spawned ones): after a SIGKILL
of ``guiagent eval`` no orphan keeps writing into an episode folder that ``--resume`` is
about to run again.
"""

from __future__ import annotations

import atexit
import faulthandler
import multiprocessing
import os
import select
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

from .episode import EpisodeResult, EpisodeSpec, EvalSettings, Worker, run_episode

ResultCallback = Callable[[EpisodeResult], None]


class Backend(Protocol):
    """Runs episodes and reports each result as soon as it is known (in any order)."""

    def run(self, specs: list[EpisodeSpec], on_result: ResultCallback) -> None:
        """Run every spec; call ``on_result`` in the calling thread once per spec."""
        ...


class LocalBackend:
    """``workers`` episodes at a time on this machine: in this process for 1, else in worker processes."""

    def __init__(self, settings: EvalSettings, workers: int = 1, *,
                 grace_seconds: float = 60.0) -> None:
        self.settings = settings
        self.workers = max(1, workers)
        #: Beyond the time limits, how long a worker may take before it is presumed wedged.
        self.grace_seconds = grace_seconds

    def start_early(self) -> None:
        """Start the fork server now (with several workers), so that its import of guiagent
        overlaps whatever the caller does before :meth:`run` (checking the model server,
        reading results to resume). Optional: ``run`` starts it when needed."""
        if self.workers > 1 and worker_context().get_start_method() == "forkserver":
            from multiprocessing import forkserver

            forkserver.ensure_running()

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
        remaining = list(specs)
        while remaining:  # a new pool after wedged episodes were stopped
            remaining = self._pool_round(remaining, on_result)

    def deadline_seconds(self, spec: EpisodeSpec) -> float:
        """How long an episode may run before its worker is presumed wedged and stopped:
        every attempt's time limit, plus a grace for start-up and checks (as the Ray backend)."""
        limit = spec.task.time_limit or self.settings.time_limit
        return limit * (self.settings.infra_retries + 1) + self.grace_seconds

    def _pool_round(self, specs: list[EpisodeSpec], on_result: ResultCallback) -> list[EpisodeSpec]:
        """Run specs in one pool; if some overrun their deadline, stop the pool and return the
        unfinished ones (a worker cannot be killed alone without breaking the pool)."""
        context = worker_context()
        started_queue = context.Queue()
        stacks_dir = tempfile.TemporaryDirectory(prefix="guiagent-stacks-")
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(specs)), mp_context=context,
                                   initializer=_init_worker,
                                   initargs=(self.settings, started_queue, stacks_dir.name,
                                             os.getpid()))
        started: dict[str, float] = {}  # episode name -> when its worker began it
        worker_of: dict[str, int] = {}  # episode name -> the pid of the worker running it
        try:
            pending = {pool.submit(_run_in_worker, spec): spec for spec in specs}
            while pending:
                done, _ = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                for future in done:
                    spec = pending.pop(future)
                    on_result(_result_of(future, spec))
                while not started_queue.empty():
                    name, pid = started_queue.get_nowait()
                    started[name], worker_of[name] = time.monotonic(), pid
                now = time.monotonic()
                overdue = [f for f, spec in pending.items() if spec.name in started
                           and now - started[spec.name] > self.deadline_seconds(spec)]
                if overdue:
                    for future in overdue:
                        spec = pending.pop(future)
                        stacks = _collect_stacks(worker_of[spec.name], Path(stacks_dir.name), spec)
                        on_result(_overdue_result(spec, self.deadline_seconds(spec), stacks))
                    _stop_pool(pool)
                    return list(pending.values())
        except BaseException:
            _stop_pool(pool)
            raise
        finally:
            started_queue.close()
            stacks_dir.cleanup()
        _stop_pool(pool, patience=30.0)
        return []


#: What the fork server imports before forking workers: what an episode needs, including what
#: guiagent imports only on first use (Playwright's sync API, the model client's HTTP stack:
#: about 0.25 CPU-s that each worker would otherwise spend in its first episode). A name
#: that does not import (another openai version's HTTP package) is skipped.
PRELOAD_MODULES = ["guiagent.eval.episode", "guiagent.agent", "guiagent.eval.checks",
                   "guiagent.drivers.playwright", "guiagent.model", "guiagent.replay",
                   "guiagent.protocols.registry", "guiagent.cli.safety_options",
                   "guiagent.sandboxes.web", "playwright.sync_api", "openai.resources",
                   "httpcore2", "PIL.JpegImagePlugin", "PIL.PngImagePlugin"]


def worker_context() -> Any:
    """The multiprocessing context for worker processes: a preloaded fork server where there is one."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # __main__ first, as the default: a script's own functions must reach the workers.
    context.set_forkserver_preload(["__main__", *PRELOAD_MODULES])
    return context


def _collect_stacks(pid: int, stacks_dir: Path, spec: EpisodeSpec) -> Path | None:
    """Ask the wedged worker for its threads' stacks; the copy in the episode folder, if any."""
    source = stacks_dir / f"{pid}.txt"
    try:
        os.kill(pid, signal.SIGUSR1)
    except OSError:
        return None
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and not (source.exists() and source.stat().st_size):
        time.sleep(0.05)
    time.sleep(0.2)  # faulthandler writes thread after thread
    try:
        text = source.read_text(errors="replace")
    except OSError:
        return None
    if not text:
        return None
    spec.episode_dir.mkdir(parents=True, exist_ok=True)
    target = spec.episode_dir / "stacks.txt"
    target.write_text(text)
    return target


def _overdue_result(spec: EpisodeSpec, seconds: float, stacks: Path | None = None) -> EpisodeResult:
    where = (f"; what it was doing when stopped is in {stacks.relative_to(spec.out_dir)}"
             if stacks is not None else "")
    return EpisodeResult(task=spec.task.id, repeat=spec.repeat, success=False, outcome="max_time",
                         error_kind="infra", category="infra", tags=spec.task.tags,
                         seconds=round(seconds, 3), run_dir=str(spec.episode_dir.relative_to(
                             spec.out_dir) / "run"),
                         error=f"the episode did not finish within {seconds:.0f} s (its time limit "
                               "for every attempt, plus a grace); its worker was stopped" + where)


def _result_of(future: Future[EpisodeResult], spec: EpisodeSpec) -> EpisodeResult:
    """The episode's result, or an infrastructure failure when its worker died."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - BrokenProcessPool, a pickling error, ...
        return EpisodeResult(task=spec.task.id, repeat=spec.repeat, success=False, outcome="error",
                             error_kind="infra", category="infra", tags=spec.task.tags,
                             error=f"the worker process failed: {type(exc).__name__}: {exc}")


def _stop_pool(pool: ProcessPoolExecutor, patience: float = 0.0) -> None:
    """Cancel what has not started and end the workers: now (they would finish their episode),
    or, with ``patience``, after letting them close their browsers for that many seconds (a
    browser that does not close must not hang the whole evaluation)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + patience
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)


_WORKER: Worker | None = None
_STARTED: Any = None
_STACKS_FILE: Any = None


def _init_worker(settings: EvalSettings, started: Any = None, stacks_dir: str | None = None,
                 driver_pid: int | None = None) -> None:
    """Worker process start: die with the driver, leave Ctrl-C to it, write stacks on SIGUSR1,
    keep one browser."""
    global _WORKER, _STARTED, _STACKS_FILE
    _STARTED = started
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    if driver_pid is not None and driver_pid != os.getppid():  # forked by the fork server
        die_with_process(driver_pid)
    if stacks_dir is not None:
        _STACKS_FILE = open(Path(stacks_dir) / f"{os.getpid()}.txt", "w")  # noqa: SIM115 - open for life
        faulthandler.register(signal.SIGUSR1, file=_STACKS_FILE, all_threads=True)
    _WORKER = Worker(settings)
    atexit.register(_WORKER.close)


def _run_in_worker(spec: EpisodeSpec) -> EpisodeResult:
    assert _WORKER is not None, "worker not initialised"
    if _STARTED is not None:
        _STARTED.put((spec.name, os.getpid()))
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


def die_with_process(pid: int) -> None:
    """SIGKILL this process as soon as process ``pid`` ends (a daemon thread waits for it).

    On Linux the thread blocks on a pidfd (no polling); elsewhere it checks every second.
    """
    def kill_self() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        kill_self()
        return
    except (AttributeError, OSError):  # no pidfd here: poll
        def poll() -> None:
            while True:
                time.sleep(1.0)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    kill_self()
                except PermissionError:
                    pass
        threading.Thread(target=poll, name="guiagent-driver-watch", daemon=True).start()
        return

    def wait() -> None:
        select.select([pidfd], [], [])
        kill_self()
    threading.Thread(target=wait, name="guiagent-driver-watch", daemon=True).start()
