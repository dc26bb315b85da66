"""Chaos runs: many short seeded agent runs against a model server failing at random.

Each run draws its own faults (every class of :mod:`guiagent.testing.faults`),
client settings, script of answers (valid, off-screen, denied, secret, unknown
secret, repeated on a dead screen), guard, secrets wrapper, a page that shows
the secret in its URL and title, and sometimes a stop request. A run passes
when it ends with a defined outcome, its log reads back complete (read_run), the
model requests it records add up to what the server received, and no file of
the run holds the secret in any encoded form. ``tests/test_chaos.py`` runs 100;
``scripts/chaos.py --runs 1000`` runs more and prints the figures.
"""

from __future__ import annotations

import random
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from ..actions import Type
from ..agent import Agent, AgentConfig
from ..drivers.scripted import ScriptedDriver
from ..errors import GuiAgentError
from ..guard import ActionGuard
from ..hooks import AgentHooks
from ..model import ModelSettings, OpenAIChatClient
from ..protocols.registry import make_protocol
from ..redaction import encoded_forms
from ..runlog import read_run
from ..secrets import Secrets, SecretsDriver
from .faults import FAULTS, FaultInjector, closed_port_url
from .model_server import GlmModelServer, glm_answer

ENDINGS = {"done", "failed", "answered", "max_steps", "error", "interrupted", "stuck"}
#: A secret every encoder changes: quotes, backslash, non-ASCII, a plus and a space.
SECRET = "hunter2's \\Pä\"ss+"


def random_action(rng: random.Random) -> str:
    """One action call, valid or not, that a model might send."""
    x, y = rng.randint(0, 1000), rng.randint(0, 1000)
    return rng.choice([
        f"left_click(start_box='[{x},{y}]', element_info='button')",
        f"left_click(start_box='[{x + 1000},{y}]')",  # off screen
        f"left_double_click(start_box='[{x},{y}]')",
        f"scroll(start_box='[{x},{y}]', direction='down', step=2)",
        "key(keys='ctrl+alt+delete')", "key(keys='enter')",
        "type(content='hello')", "type(content='{{secret:PW}}')", "type(content='{{secret:NOPE}}')",
        f"left_click(start_box='[{x},{y}]', element_info='Delete account')",  # needs confirmation
    ])


def script(rng: random.Random, dead_screen: bool) -> list[str]:
    """The answers of one run."""
    if dead_screen:
        return [glm_answer("left_click(start_box='[500,500]', element_info='Next')")]
    calls = [random_action(rng) for _ in range(rng.randint(1, 5))]
    calls.append(rng.choice(["DONE()", "FAIL()", "answer(content='42')"]))
    return [glm_answer(c, memory=[f"step {i}"]) for i, c in enumerate(calls, start=1)]


class LeakyScreen(ScriptedDriver):
    """A page that, once text is typed, shows it in its URL (a GET form) and its title."""

    def act(self, action: Any, frame: Any) -> Any:
        """Act, then echo typed text like a careless page would."""
        result = super().act(action, frame)
        if isinstance(action, Type):
            self.url = f"http://127.0.0.1/next?q={quote_plus(action.content)}"
            self.title = f"Results for {action.content!r}"
        return result


class StopAt(AgentHooks):
    """Asks the agent to stop at a given step (a Ctrl-C from code)."""

    def __init__(self, step: int, agent_box: list[Agent]) -> None:
        self.step, self.agent_box = step, agent_box

    def on_step_start(self, index: int, observation: Any) -> None:
        """Request the stop when the chosen step begins."""
        if index == self.step:
            self.agent_box[0].request_stop("chaos stop")


def requests_logged(steps: list[Any]) -> int:
    """Model requests a run's log says were sent (failed connections send none)."""
    total = 0
    for step in steps:
        for attempt in step.attempts:
            failed = attempt.error is not None and attempt.error.type == "ModelConnectionError"
            total += len(attempt.transport_errors) + (0 if failed else 1)
    return total


@dataclass
class ChaosStats:
    """What a batch of chaos runs covered and found."""

    runs: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    steps: int = 0
    refused: int = 0
    refused_port_runs: int = 0
    crashes: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    secret_leaks: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def injected(self) -> dict[str, int]:
        """Injected faults by kind (without plain answers and continuations)."""
        return {k: v for k, v in sorted(self.faults.items()) if k not in ("ok", "continuation")}

    def summary(self, seed: int) -> str:
        """The figures, as printed by the test and the script."""
        return (f"chaos: {self.runs} runs (seed {seed}) in {self.seconds:.1f}s, {self.steps} steps, "
                f"{self.requests} model requests, {sum(self.injected.values())} injected faults "
                f"+ {self.refused_port_runs} runs against a refused port, "
                f"{self.faults['continuation']} continuations, {self.refused} refused actions\n"
                f"chaos faults: {self.injected}\n"
                f"chaos outcomes: {dict(sorted(self.outcomes.items()))}\n"
                f"chaos failures: {len(self.crashes)} crashes, {len(self.unreadable)} unreadable "
                f"logs, {len(self.secret_leaks)} files holding the secret, "
                f"{len(self.violations)} other violations")


def _check(stats: ChaosStats, n: int, ok: bool, what: str) -> None:
    if not ok:
        stats.violations.append(f"run {n}: {what}")


def one_run(n: int, rng: random.Random, root: Path, stats: ChaosStats, server: GlmModelServer,
            current: list[Any]) -> None:
    """One seeded run; every finding goes into ``stats``."""
    dead = rng.random() < 0.2
    injector = FaultInjector(script(rng, dead), seed=rng.randrange(2**32),
                             rate=rng.choice([0.2, 0.4, 0.6]), timeout_delay=0.8, retry_after=0.02)
    retries, reasks = rng.choice([0, 1, 2]), rng.choice([1, 2])
    secrets = Secrets({"PW": SECRET}) if rng.random() < 0.5 else None
    driver = LeakyScreen("480x270", static=dead)
    refused_port = n % 12 == 11
    agent_box: list[Agent] = []
    hooks: list[AgentHooks] = [ActionGuard()] if rng.random() < 0.6 else []
    if rng.random() < 0.15:
        hooks.append(StopAt(rng.randint(1, 4), agent_box))
    current[0], before = injector, len(server.requests)
    settings = ModelSettings(
        base_url=closed_port_url() if refused_port else server.base_url, timeout=0.4,
        retries=retries, backoff=0.01, thinking_max_tokens=200, answer_max_tokens=50,
        continue_thinking=rng.random() < 0.8)
    agent = Agent(SecretsDriver(driver, secrets) if secrets else driver,
                  OpenAIChatClient(settings),
                  protocol=make_protocol("glm41v-pc", tips=secrets.prompt_tip() if secrets else None),
                  config=AgentConfig(run_dir=root / f"run-{n:04d}", max_steps=6,
                                     max_reasks=reasks, image_format="png", handle_signals=False),
                  hooks=hooks)
    agent_box.append(agent)
    try:
        result = agent.run(f"Chaos run {n}.")
    except Exception:  # noqa: BLE001 - a crash is what this hunts for
        stats.crashes.append(f"run {n}: {traceback.format_exc()}")
        return
    try:
        record, steps = read_run(result.run_dir)
    except GuiAgentError as exc:
        stats.unreadable.append(f"run {n}: {exc}")
        return
    deadline = time.monotonic() + 5  # a timed-out request may still be on its way in
    while (not refused_port and requests_logged(steps) > len(server.requests) - before
           and time.monotonic() < deadline):
        time.sleep(0.05)
    received = len(server.requests) - before

    _check(stats, n, result.outcome in ENDINGS, f"outcome {result.outcome}")
    _check(stats, n, record.outcome == result.outcome and record.ended_at is not None,
           "run.json outcome")
    _check(stats, n, len(steps) == record.totals.steps == len(result.steps), "step count")
    _check(stats, n, not steps or (result.run_dir / "steps.jsonl").read_text().endswith("\n"),
           "steps.jsonl ends mid-line")
    if refused_port:  # nothing listens: one step, one failed attempt, every try logged
        _check(stats, n, received == 0 and result.outcome == "error" and len(steps) == 1,
               "refused port run")
        _check(stats, n, bool(steps) and len(steps[0].attempts[0].transport_errors) == retries + 1,
               "refused port tries")
    else:
        _check(stats, n, requests_logged(steps) == received,
               f"{requests_logged(steps)} requests logged, {received} received")
    _check(stats, n, record.totals.model_requests == sum(len(s.attempts) for s in steps),
           "model_requests total")
    for step in steps:
        _check(stats, n, bool(step.attempts), f"step {step.index} has no attempt")
        _check(stats, n, len(step.attempts) <= 2 * (reasks + 1), f"step {step.index} attempts")
        _check(stats, n, all(len(a.transport_errors) <= retries + 1 for a in step.attempts),
               f"step {step.index} transport errors")
        _check(stats, n, bool(step.screenshot) and (result.run_dir / str(step.screenshot)).exists(),
               f"step {step.index} screenshot")
    if result.outcome == "error":
        _check(stats, n, record.error is not None and record.error.type in (
            "ModelConnectionError", "ModelResponseError"), f"error {record.error}")
    if secrets:
        forms = [f.encode() for f in encoded_forms(SECRET)]
        for path in result.run_dir.rglob("*"):
            if path.is_file() and any(form in path.read_bytes() for form in forms):
                stats.secret_leaks.append(f"run {n}: {path}")

    stats.runs += 1
    stats.outcomes[result.outcome] += 1
    stats.faults.update(i.fault for i in injector.injected)
    stats.requests += received
    stats.steps += len(steps)
    stats.refused += sum(s.result == "refused" for s in steps)
    stats.refused_port_runs += refused_port


def run_chaos(runs: int, seed: int, root: Path, progress: Any = None) -> ChaosStats:
    """``runs`` seeded chaos runs with their logs under ``root``."""
    rng = random.Random(seed)
    stats = ChaosStats()
    started = time.monotonic()
    current: list[Any] = [None]
    with GlmModelServer(lambda req: current[0](req)) as server:
        for n in range(runs):
            one_run(n, rng, root, stats, server, current)
            if progress is not None:
                progress(n + 1, stats)
    stats.seconds = time.monotonic() - started
    return stats


def every_fault_covered(stats: ChaosStats) -> bool:
    """True when every fault class was injected at least once."""
    return set(stats.injected) == set(FAULTS) - {"ok"}
