"""CPU time by kind of process (Chromium browser / renderer / GPU / utility, Playwright's
node driver, worker Pythons) and by thread of this process, over a stretch of a run.

Used by ``parallel_episodes.py --cpu-breakdown``: a thread samples the process tree with
psutil every ``interval`` seconds and keeps each process's last CPU time, so a process
that ends between two samples loses at most one interval's worth (renderers end with their
episode's context). This process's threads are split into the main thread, the sampler
itself (left out of the totals) and the rest (the stand-in model server, pool threads).
"""

from __future__ import annotations

import os
import threading
from collections import Counter

import psutil


def process_kind(proc: psutil.Process) -> str:
    """``chromium:renderer``, ``chromium:utility:NetworkService``, ``playwright-node``, ..."""
    try:
        cmd = proc.cmdline()
    except psutil.Error:
        return "?"
    if not cmd:
        return "?"
    exe, joined = os.path.basename(cmd[0]), " ".join(cmd)
    if "chrom" in exe or "headless" in exe:
        types = [a.split("=", 1)[1] for a in cmd if a.startswith("--type=")]
        if not types:
            return "chromium:browser"
        if types[0] == "utility":
            sub = [a.split("=", 1)[1] for a in cmd if a.startswith("--utility-sub-type=")]
            return "chromium:utility:" + (sub[0].rsplit(".", 1)[-1] if sub else "?")
        if types[0] == "renderer" and "--top-chrome-webui" in cmd:
            return "chromium:renderer(top-chrome WebUI)"
        return "chromium:" + types[0]
    if exe == "node" or "cli.js" in joined:
        return "playwright-node"
    if "python" in exe:
        return "python:worker" if "multiprocessing" in joined else "python:other"
    return exe


class ProcessCpuSampler(threading.Thread):
    """Samples the CPU time of this process's descendants and threads until stopped."""

    def __init__(self, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.me = psutil.Process()
        self.main_thread = threading.get_native_id()
        self.halt = threading.Event()
        self._first: dict[tuple[int, float], float] = {}
        self._last: dict[tuple[int, float], float] = {}
        self._kind: dict[tuple[int, float], str] = {}
        self._threads0: dict[int, float] = {}
        self._threads: dict[int, float] = {}
        self.tid = 0
        #: The sampler thread's own CPU time (after stop), to take out of whole-process figures.
        self.own_seconds = 0.0
        self.sample(first=True)

    def sample(self, first: bool = False) -> None:
        """Record every descendant's CPU time so far, and this process's threads'."""
        for proc in self.me.children(recursive=True):
            try:
                key = (proc.pid, proc.create_time())
                times = proc.cpu_times()
                kind = process_kind(proc)  # after an exec (the chromium wrapper) it changes
            except psutil.Error:
                continue
            self._last[key] = times.user + times.system
            if first:
                self._first[key] = self._last[key]
            if kind != "?" or key not in self._kind:
                self._kind[key] = kind
        for thread in self.me.threads():
            self._threads[thread.id] = thread.user_time + thread.system_time
            if first:
                self._threads0[thread.id] = self._threads[thread.id]

    def run(self) -> None:
        self.tid = threading.get_native_id()
        while not self.halt.wait(self.interval):
            self.sample()

    def stop(self) -> Counter[str]:
        """Stop sampling; CPU seconds by kind over the sampled stretch (the sampler's own left out)."""
        self.halt.set()
        self.join()
        self.sample()
        self.own_seconds = self._threads.get(self.tid, 0.0)
        totals: Counter[str] = Counter()
        for key, seconds in self._last.items():
            totals[self._kind[key]] += seconds - self._first.get(key, 0.0)
        for tid, seconds in self._threads.items():
            if tid == self.tid:
                continue
            name = "this process: main thread" if tid == self.main_thread else \
                "this process: other threads"
            totals[name] += seconds - self._threads0.get(tid, 0.0)
        return totals
