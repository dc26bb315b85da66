"""Episodes per minute at 1, 2, 4 and 8 workers, framework time per step, memory per episode.

The stand-in model answers every request after a fixed delay (1.5 s by
default: the order of a real GLM-4.1V step), so the figures show what
guiagent adds around the model: the workers' browsers, the per-episode web
sandbox (its own SQLite), capture, encoding, the run log and the checks.
Each episode opens ``{sandbox}/contact``, clicks twice and says DONE (3 model
calls), and is checked (a ``url`` and a ``dom`` check) like a suite task.

* episodes/minute: episodes / wall time of the whole backend run, worker
  start-up included; "steady" episodes/minute: workers / median episode time, what
  the workers give once started (start-up weighs heavily when each worker runs few
  episodes); mean concurrency: the episodes' summed time / wall time (about the number
  of workers when nothing serialises episodes);
* framework time per step: (an episode's wall time - its model time) / steps,
  median over episodes: everything but the model, with episode start and
  checks spread over the steps;
* CPU seconds per episode: the CPU time of this process and all its descendants over the
  run (sampled with psutil, ``process_cpu.py``: worker processes are the fork server's
  children, so ``getrusage`` would miss them), per episode, worker start-up and the
  stand-in included: with C cores, C * 60 / this is the most episodes per minute the
  machine can give, however many workers; ``--cpu-breakdown`` splits it by kind of
  process (Chromium browser / renderer / GPU, Playwright's node driver, worker Pythons);
* memory per browser episode: the peak proportional set size (PSS, shared
  pages split fairly) of this process's children while N episodes run,
  divided by N (a worker process, its Chromium and the episode's sandbox).

If nothing in guiagent serialises episodes, N workers should give close to N
times the episodes per minute of one while the CPU is not saturated (target:
8 workers >= 6x one worker on a 2-core machine).

Usage: python benchmarks/parallel_episodes.py [--workers 1,2,4,8] [--episodes-per-worker 6]
       [--delay 1.5] [--backend local|ray] [--json out.json] [--cpu-breakdown]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.forkserver
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from process_cpu import ProcessCpuSampler

from guiagent.eval.backends import LocalBackend
from guiagent.eval.episode import EpisodeSpec, EvalSettings
from guiagent.eval.tasks import Task
from guiagent.model import ModelSettings
from guiagent.testing.model_server import GlmModelServer, ModelRequest, Reply, glm_answer

CLICKS = 2
TASK = {
    "id": "contact-clicks", "instruction": "Look at the contact form, then report done.",
    "url": "{sandbox}/contact", "max_steps": 6,
    "evaluate": [{"url": {"matches": "/contact"}}, {"dom": {"selector": "form", "count": 1}}],
}


def responder(delay: float):
    def answer(req: ModelRequest) -> Reply:
        if req.step <= CLICKS:
            call = f"left_click(start_box='[{500 + req.step * 10},900]', element_info='empty area')"
        else:
            call = "DONE()"
        return Reply(content=glm_answer(call, explanation="Next step."), delay=delay)
    return answer


def _children(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/task/{current}/children") as f:
                kids = [int(k) for k in f.read().split()]
        except OSError:
            continue
        out.extend(kids)
        todo.extend(kids)
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Peak PSS of this process's descendants (worker processes, browsers), sampled every 2 s.

    Reading smaps_rollup of some 40 processes costs the kernel real CPU time: sampled more
    often, the measurement itself would eat a share of the two cores it measures. Its own
    CPU time is kept (``cpu_seconds``) and left out of the run's CPU figure."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.cpu_seconds = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(2.0):
            started = time.thread_time()
            total = sum(_pss_kb(pid) for pid in _children(os.getpid()))
            self.peak_kb = max(self.peak_kb, total)
            self.cpu_seconds += time.thread_time() - started


def run_once(workers: int, episodes: int, settings: EvalSettings, backend_name: str,
             delay: float, cpu_breakdown: bool = False) -> dict:
    task = Task.model_validate(TASK)
    with tempfile.TemporaryDirectory(prefix="guiagent-bench-") as out:
        specs = [EpisodeSpec(task=task, repeat=r, out_dir=Path(out)) for r in range(episodes)]
        if backend_name == "ray":
            from guiagent.eval.ray_backend import RayBackend

            backend = RayBackend(settings, workers=workers)
        else:
            backend = LocalBackend(settings, workers=workers)
        results = []
        sampler = MemorySampler()
        sampler.start()
        by_kind = ProcessCpuSampler()
        by_kind.start()
        load0 = os.getloadavg()[0]
        t0, start_epoch = time.perf_counter(), time.time()
        backend.run(specs, results.append)
        wall = time.perf_counter() - t0
        sampler.stop.set()
        sampler.join()
        kinds = by_kind.stop()
        # The next row starts its own fork server, as a fresh `guiagent eval` does (its start,
        # a Python importing guiagent, then belongs to every row with worker processes).
        stop_fork_server = getattr(getattr(multiprocessing, "forkserver", None), "_forkserver", None)
        if stop_fork_server is not None:
            stop_fork_server._stop()
        # minus the memory sampler's own reading of /proc
        cpu = sum(kinds.values()) - sampler.cpu_seconds
    per_step = [(r.seconds - (r.steps * delay)) / r.steps for r in results if r.steps]
    ok = sum(r.success for r in results)
    return {
        "workers": workers, "episodes": len(results), "succeeded": ok,
        "errors": [r.error for r in results if r.error][:3],
        "wall_seconds": round(wall, 2),
        "episodes_per_minute": round(len(results) / wall * 60, 2),
        "framework_seconds_per_step_median": round(statistics.median(per_step), 3) if per_step else None,
        "episode_seconds_median": round(statistics.median(r.seconds for r in results), 2),
        # episodes running at once, on average: ~workers when nothing serialises them
        "mean_concurrent_episodes": round(sum(r.seconds for r in results) / wall, 2),
        # what the workers give once started: workers / median episode time
        "steady_episodes_per_minute": round(
            workers / statistics.median(r.seconds for r in results) * 60, 2),
        "first_result_seconds": round(min(r.finished_at for r in results) - start_epoch, 2),
        "memory_mb_per_episode": round(sampler.peak_kb / 1024 / workers, 1) if workers else None,
        "cpu_seconds_per_episode": round(cpu / len(results), 2),
        "load_average_before": round(load0, 1), "cpus": os.cpu_count(),
        "cpu_seconds_per_episode_by_kind": {
            kind: round(seconds / len(results), 3) for kind, seconds in kinds.most_common()}
        if cpu_breakdown else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2,4,8")
    # Six: a real suite amortises the workers' start-up at least that well (docs/eval-scale.md).
    parser.add_argument("--episodes-per-worker", type=int, default=6)
    parser.add_argument("--delay", type=float, default=1.5)
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--cpu-breakdown", action="store_true",
                        help="CPU seconds per episode by kind of process (needs psutil)")
    args = parser.parse_args()
    rows = []
    with GlmModelServer(responder(args.delay)) as server:
        settings = EvalSettings(model=ModelSettings(base_url=server.base_url, timeout=60),
                                write_reports=True)
        for workers in (int(w) for w in args.workers.split(",")):
            row = run_once(workers, workers * args.episodes_per_worker, settings, args.backend,
                           args.delay, args.cpu_breakdown)
            rows.append(row)
            print(json.dumps(row), flush=True)
    base = rows[0]["episodes_per_minute"]
    steady = rows[0]["steady_episodes_per_minute"]
    print(f"\n{'workers':>7} {'episodes':>8} {'ok':>3} {'wall s':>7} {'ep/min':>7} {'speed-up':>8} "
          f"{'steady':>7} {'speed-up':>8} {'concur':>6} "
          f"{'fw s/step':>9} {'MB/episode':>10} {'CPU s/ep':>8} {'load':>5}")
    for row in rows:
        print(f"{row['workers']:>7} {row['episodes']:>8} {row['succeeded']:>3} {row['wall_seconds']:>7} "
              f"{row['episodes_per_minute']:>7} {row['episodes_per_minute'] / base:>8.2f} "
              f"{row['steady_episodes_per_minute']:>7} {row['steady_episodes_per_minute'] / steady:>8.2f} "
              f"{row['mean_concurrent_episodes']:>6} "
              f"{row['framework_seconds_per_step_median']:>9} {row['memory_mb_per_episode']:>10} "
              f"{row['cpu_seconds_per_episode']:>8} {row['load_average_before']:>5}")
    if args.json:
        args.json.write_text(json.dumps({"delay": args.delay, "backend": args.backend, "rows": rows},
                                        indent=2))


if __name__ == "__main__":
    main()
