"""The run log's disk work that no step should wait for, on one writer thread.

Appending a step's line to ``steps.jsonl`` is a ``write`` into the kernel's page
cache: cheap, and it survives the process being killed (SIGKILL), so it stays
on the step's path and a finished step is always in the file. What can stall
(``fsync``: 100-480 ms tails were measured on this disk; rewriting ``run.json``
through a temporary file and a rename) happens here: jobs go through a bounded
queue (a disk that stalls for long makes the step wait for room, rather than
memory grow), run in order, and an error is raised to the caller at its next
submit or :meth:`BackgroundWriter.drain`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Job = Callable[[], None]


class BackgroundWriter:
    """Runs write jobs in order on one daemon thread."""

    def __init__(self, max_pending: int = 16, name: str = "guiagent-runlog") -> None:
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=max_pending)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._name = name

    def submit(self, job: Job) -> None:
        """Queue ``job`` (waits while the queue is full); raise a previous job's error."""
        self._raise()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
            self._thread.start()
        self._jobs.put(job)

    def drain(self) -> None:
        """Wait until every queued job ran; raise the first error one had."""
        if self._thread is not None:
            self._jobs.join()
        self._raise()

    def close(self) -> None:
        """Run what is queued, then stop the thread; raise the first error."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None
        self._raise()

    def _raise(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    job()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self._error = exc
            finally:
                self._jobs.task_done()
