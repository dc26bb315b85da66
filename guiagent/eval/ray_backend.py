"""The Ray backend: episodes on Ray actors, on this machine or across a cluster.

Each actor is one worker as the local backend has them: it keeps one Chromium
(:class:`~guiagent.eval.episode.Worker`) for all its episodes and runs them
one at a time with the same :func:`~guiagent.eval.episode.run_episode`. Ray
decides where actors live (``SPREAD`` over the nodes); the driver only hands
the next episode to whichever actor is free. That is a work queue, not a
scheduler: placement, node failure and transport are Ray's.

Workers share no disk with the driver. What an episode needs from the suite's
folder (files its tasks ``copy`` or place on a desktop, Python modules beside
the suite file) travels to the actor once per suite as an archive, and so do
the contents of ``--policy`` and ``--secrets-file``; what the
episode produced (its folder: run log, screenshots, report, work files,
sandbox database) comes back as an archive in the result and is unpacked
under the driver's ``--out`` with :func:`~guiagent.eval.run_archive.unpack_folder`
(no path traversal, no links), so results, reports and replays are the same
as from a local run. The node that ran each episode is recorded in the
result's ``extra.ray_node``. An episode that outlives its time limit (every
attempt of it) plus a grace is presumed wedged: its actor is killed, the
episode reported as an infrastructure error, and a new actor takes its place.

``address=None`` starts a private local Ray on 127.0.0.1 (or joins the one
``RAY_ADDRESS`` names, as ``ray.init`` does); ``--ray-address`` joins a
cluster, whose nodes must reach the model URL and have guiagent, Chromium
and the suite's tools installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from ..errors import ConfigError, GuiAgentError
from ..files import write_atomic
from .backends import ResultCallback
from .episode import EpisodeResult, EpisodeSpec, EvalSettings, Worker, run_episode
from .run_archive import pack_folder, unpack_folder
from .tasks import Task

INSTALL_HINT = "pip install 'guiagent[ray]'"
#: Seconds beyond an episode's time limits before its actor is presumed wedged and stopped.
GRACE_SECONDS = 120.0
WAIT_SECONDS = 5.0


def import_ray() -> Any:
    """The ``ray`` module, or a ConfigError saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(f"--backend ray needs the ray package: {INSTALL_HINT} ({exc})") from exc
    return ray


# --- what travels to the workers: the suite's own files ---------------------------------------

def suite_files(task: Task) -> list[str]:
    """Files beside the task's suite that an episode may read: copy sources, desktop files, *.py."""
    base = task.base_dir
    names: set[str] = set()
    for step in task.setup:
        spec = getattr(step, "copy_", None)
        if spec is not None:
            names.add(spec.from_)
    if task.desktop is not None:
        names.update(f.from_ for f in task.desktop.files)
    names.update(task.upload_files)
    if task.source and base.is_dir():
        names.update(p.name for p in base.glob("*.py"))
    return sorted(n for n in names if (base / n).exists())


def pack_suite(tasks: list[Task]) -> dict[str, bytes]:
    """One archive per suite folder the tasks come from (keyed by the folder's hash)."""
    out: dict[str, bytes] = {}
    for task in tasks:
        key = _folder_key(task)
        if key in out or not task.source:
            continue
        staging = Path(tempfile.mkdtemp(prefix="guiagent-suite-"))
        try:
            for task_of_folder in (t for t in tasks if _folder_key(t) == key):
                for name in suite_files(task_of_folder):
                    source, target = task.base_dir / name, staging / name
                    if not target.resolve().is_relative_to(staging.resolve()):
                        raise ConfigError(f"task {task_of_folder.id!r}: {name!r} leads outside its "
                                          "suite folder")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if source.is_dir():
                        shutil.copytree(source, target, dirs_exist_ok=True, symlinks=False)
                    else:
                        shutil.copyfile(source, target)
            out[key] = pack_folder(staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return out


def _folder_key(task: Task) -> str:
    return hashlib.sha256(str(task.base_dir.resolve()).encode()).hexdigest()[:16]


# --- the actor ---------------------------------------------------------------------------------

class EpisodeActor:
    """One Ray worker: a browser kept across episodes, a scratch folder, the suite's files."""

    def __init__(self, settings: EvalSettings, suites: dict[str, bytes],
                 setting_files: dict[str, bytes] | None = None) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="guiagent-ray-"))
        updates = {}
        for name, data in (setting_files or {}).items():  # --policy, --secrets-file: private copies
            path = self.scratch / f"{name}.setting"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            updates[name] = path
        self.worker = Worker(settings.model_copy(update=updates))
        self.suites: dict[str, Path] = {}
        for key, data in suites.items():
            self.suites[key] = unpack_folder(data, self.scratch / "suites" / key)

    def run(self, spec: EpisodeSpec) -> dict[str, Any]:
        """Run one episode here and return its result, its folder as an archive, and this node."""
        import ray

        task = spec.task
        key = _folder_key(task)
        if key in self.suites:  # the task's relative paths now point at the shipped copy
            task = task.model_copy(deep=True).located(
                str(self.suites[key] / Path(task._source).name), task._line)
        local = EpisodeSpec(task=task, repeat=spec.repeat, out_dir=self.scratch / "out")
        result = run_episode(local, self.worker)
        try:
            archive = pack_folder(local.episode_dir)
        finally:
            shutil.rmtree(local.episode_dir, ignore_errors=True)
        return {"result": result.model_dump(mode="json"), "archive": archive,
                "node": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}

    def close(self) -> None:
        """Close the browser and remove the scratch folder."""
        self.worker.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


# --- the backend -------------------------------------------------------------------------------

class RayBackend:
    """Runs episodes on ``workers`` Ray actors (``cpus_per_worker`` logical CPUs each)."""

    def __init__(self, settings: EvalSettings, workers: int = 1, *, address: str | None = None,
                 cpus_per_worker: float = 1.0, grace_seconds: float = GRACE_SECONDS) -> None:
        self.ray = import_ray()
        self.settings = settings
        self.workers = max(1, workers)
        self.address = address
        self.cpus_per_worker = cpus_per_worker
        self.grace_seconds = grace_seconds
        self._actors: list[Any] = []

    def _connect(self) -> bool:
        """Start or join Ray; True when this backend started it (and must shut it down)."""
        ray = self.ray
        if ray.is_initialized():
            return False
        try:
            if self.address:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
            else:
                cpus = max(os.cpu_count() or 1, int(self.workers * self.cpus_per_worker + 0.999))
                ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
                         _node_ip_address="127.0.0.1")
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local Ray on 127.0.0.1"
            raise ConfigError(f"cannot start or join {where}: {exc}") from exc
        return True

    def run(self, specs: list[EpisodeSpec], on_result: ResultCallback) -> None:
        """Run every spec on the actors; report each result (folder unpacked) as it arrives."""
        if not specs:
            return
        ray = self.ray
        files = self._setting_files()  # before Ray starts: a missing file is a config error
        started = self._connect()
        actor_class = ray.remote(EpisodeActor).options(
            num_cpus=self.cpus_per_worker, scheduling_strategy="SPREAD", max_concurrency=1)
        suites = ray.put(pack_suite([s.task for s in specs]))
        setting_files = ray.put(files)
        self._actors = []

        def new_actor() -> Any:
            actor = actor_class.remote(self.settings, suites, setting_files)
            self._actors.append(actor)
            return actor

        try:
            idle = [new_actor() for _ in range(min(self.workers, len(specs)))]
            queue = list(reversed(specs))
            running: dict[Any, tuple[Any, EpisodeSpec, float]] = {}
            while queue or running:
                while idle and queue:
                    actor, spec = idle.pop(), queue.pop()
                    running[actor.run.remote(spec)] = (actor, spec, self._deadline(spec))
                ready, _ = ray.wait(list(running), num_returns=1, timeout=WAIT_SECONDS)
                if not ready:
                    idle.extend(new_actor() for _ in self._stop_overdue(running, on_result))
                    continue
                actor, spec, _deadline = running.pop(ready[0])
                try:
                    payload = ray.get(ready[0])
                    idle.append(actor)
                except ray.exceptions.RayActorError as exc:  # the actor's process or node died
                    on_result(_infra_result(spec, f"the Ray worker died: {exc}"))
                    idle.append(new_actor())
                except ray.exceptions.RayError as exc:
                    on_result(_infra_result(spec, f"the Ray task failed: {exc}"))
                    idle.append(actor)
                else:
                    on_result(self._land(payload, spec))
        finally:
            self._close_actors()
            if started:
                ray.shutdown()

    def _setting_files(self) -> dict[str, bytes]:
        """The driver's --policy and --secrets-file contents: the workers have no such files."""
        out = {}
        for name in ("policy", "secrets_file"):
            path = getattr(self.settings, name)
            if path is not None:
                try:
                    out[name] = Path(path).read_bytes()
                except OSError as exc:
                    raise ConfigError(f"cannot read --{name.replace('_', '-')} {path}: "
                                      f"{exc.strerror}") from exc
        return out

    def _deadline(self, spec: EpisodeSpec) -> float:
        """When an episode is overdue: every attempt's time limit, plus a grace for start and checks."""
        limit = spec.task.time_limit or self.settings.time_limit
        return time.monotonic() + limit * (self.settings.infra_retries + 1) + self.grace_seconds

    def _stop_overdue(self, running: dict[Any, tuple[Any, EpisodeSpec, float]],
                      on_result: ResultCallback) -> list[Any]:
        """Kill the actors of overdue episodes (a wedged browser); report them as infrastructure."""
        now, stopped = time.monotonic(), []
        for ref, (actor, spec, deadline) in list(running.items()):
            if now > deadline:
                del running[ref]
                self.ray.kill(actor, no_restart=True)
                stopped.append(actor)
                on_result(_infra_result(spec, "the episode did not finish within its time limit "
                                              "(and the grace for start and checks); its Ray worker "
                                              "was stopped"))
        return stopped

    def _close_actors(self) -> None:
        for actor in self._actors:
            try:
                self.ray.get(actor.close.remote(), timeout=30)
            except Exception:  # noqa: BLE001,S110 - a dead actor has nothing to close
                pass
            self.ray.kill(actor)

    def _land(self, payload: dict[str, Any], spec: EpisodeSpec) -> EpisodeResult:
        """Unpack the episode's folder under the driver's results folder; fix up the result."""
        result = EpisodeResult.model_validate(payload["result"])
        target = spec.episode_dir
        if target.exists():
            shutil.rmtree(target)
        try:
            unpack_folder(payload["archive"], target)
        except GuiAgentError as exc:
            return _infra_result(spec, f"the episode's folder could not be unpacked: {exc}")
        result.extra = {**result.extra, "ray_node": payload["node"], "ray_worker_pid": payload["pid"]}
        write_atomic(target / "episode.json", result.model_dump_json(indent=2))
        return result


def _infra_result(spec: EpisodeSpec, message: str) -> EpisodeResult:
    return EpisodeResult(task=spec.task.id, repeat=spec.repeat, success=False, outcome="error",
                         error_kind="infra", category="infra", tags=spec.task.tags, error=message)
