"""Chaos: many short runs against a model server failing at random (seeded).

Each run draws its own faults, client settings, script of answers (valid,
off-screen, denied, secret, repeated on a dead screen), guard, secrets wrapper
and sometimes a stop request. Nothing may crash; every run must end with a
defined outcome and leave a complete log: read_run accepts it, and the model
requests it records add up to the requests the server received.
"""

import random
import time
from collections import Counter

from guiagent import Agent, AgentConfig, AgentHooks, ModelSettings, OpenAIChatClient
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.guard import ActionGuard
from guiagent.protocols.glm41v_pc import Glm41vPcProtocol
from guiagent.runlog import read_run
from guiagent.secrets import Secrets, SecretsDriver
from guiagent.testing import GlmModelServer, glm_answer
from guiagent.testing.faults import FAULTS, FaultInjector, closed_port_url

SEED = 20261129
RUNS = 100
ENDINGS = {"done", "failed", "answered", "max_steps", "error", "interrupted", "stuck"}


def random_action(rng):
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


def script(rng, dead_screen):
    if dead_screen:
        return [glm_answer("left_click(start_box='[500,500]', element_info='Next')")]
    calls = [random_action(rng) for _ in range(rng.randint(1, 5))]
    calls.append(rng.choice(["DONE()", "FAIL()", "answer(content='42')"]))
    return [glm_answer(c, memory=[f"step {i}"]) for i, c in enumerate(calls, start=1)]


class StopAt(AgentHooks):
    def __init__(self, step, agent_box):
        self.step, self.agent_box = step, agent_box

    def on_step_start(self, index, observation):
        if index == self.step:
            self.agent_box[0].request_stop("chaos stop")


def requests_logged(steps):
    total = 0
    for step in steps:
        for attempt in step.attempts:
            failed = attempt.error is not None and attempt.error.type == "ModelConnectionError"
            total += len(attempt.transport_errors) + (0 if failed else 1)
    return total


def one_run(n, rng, tmp_path, stats, server, current):
    dead = rng.random() < 0.2
    injector = FaultInjector(script(rng, dead), seed=rng.randrange(2**32),
                             rate=rng.choice([0.2, 0.4, 0.6]), timeout_delay=0.8, retry_after=0.02)
    retries, reasks = rng.choice([0, 1, 2]), rng.choice([1, 2])
    secrets = Secrets({"PW": "hunter2"}) if rng.random() < 0.5 else None
    driver = ScriptedDriver("480x270", static=dead)
    refused_port = n % 12 == 11
    agent_box = []
    hooks = [ActionGuard()] if rng.random() < 0.6 else []
    if rng.random() < 0.15:
        hooks.append(StopAt(rng.randint(1, 4), agent_box))
    current[0], before = injector, len(server.requests)
    # One server serves every run: stopping one takes up to half a second.
    settings = ModelSettings(
        base_url=closed_port_url() if refused_port else server.base_url, timeout=0.4,
        retries=retries, backoff=0.01, thinking_max_tokens=200, answer_max_tokens=50,
        continue_thinking=rng.random() < 0.8)
    agent = Agent(SecretsDriver(driver, secrets) if secrets else driver,
                  OpenAIChatClient(settings),
                  protocol=Glm41vPcProtocol(tips=secrets.prompt_tip() if secrets else None),
                  config=AgentConfig(run_dir=tmp_path / f"run-{n:03d}", max_steps=6,
                                     max_reasks=reasks, image_format="png"), hooks=hooks)
    agent_box.append(agent)
    result = agent.run(f"Chaos run {n}.")
    record, steps = read_run(result.run_dir)
    deadline = time.monotonic() + 5  # a timed-out request may still be on its way in
    while (not refused_port and requests_logged(steps) > len(server.requests) - before
           and time.monotonic() < deadline):
        time.sleep(0.05)
    received = len(server.requests) - before

    assert result.outcome in ENDINGS, (n, result.outcome)
    assert record.outcome == result.outcome and record.ended_at is not None
    assert len(steps) == record.totals.steps == len(result.steps)
    assert (result.run_dir / "steps.jsonl").read_text().endswith("\n") or not steps
    if refused_port:  # nothing listens: one step, one failed attempt, every try logged
        assert received == 0 and result.outcome == "error" and len(steps) == 1
        assert len(steps[0].attempts[0].transport_errors) == retries + 1
    else:
        assert requests_logged(steps) == received, n
    assert record.totals.model_requests == sum(len(s.attempts) for s in steps)
    for step in steps:
        assert step.attempts, (n, step.index)
        assert len(step.attempts) <= 2 * (reasks + 1)
        assert all(len(a.transport_errors) <= retries + 1 for a in step.attempts)
        assert (result.run_dir / step.screenshot).exists()
    if result.outcome == "error":
        assert record.error.type in ("ModelConnectionError", "ModelResponseError"), record.error
    if secrets:
        for path in result.run_dir.rglob("*"):
            assert not path.is_file() or b"hunter2" not in path.read_bytes()

    stats["outcomes"][result.outcome] += 1
    stats["faults"].update(i.fault for i in injector.injected)
    stats["requests"] += received
    stats["steps"] += len(steps)
    stats["refused"] += sum(s.result == "refused" for s in steps)
    stats["refused_port_runs"] += refused_port


def test_chaos(tmp_path, capsys):
    rng = random.Random(SEED)
    stats = {"outcomes": Counter(), "faults": Counter(), "requests": 0, "steps": 0, "refused": 0,
             "refused_port_runs": 0}
    started = time.monotonic()
    current = [None]
    with GlmModelServer(lambda req: current[0](req)) as server:
        for n in range(RUNS):
            one_run(n, rng, tmp_path, stats, server, current)
    seconds = time.monotonic() - started
    faults = {k: v for k, v in stats["faults"].items() if k not in ("ok", "continuation")}
    with capsys.disabled():
        print(f"\nchaos: {RUNS} runs (seed {SEED}) in {seconds:.1f}s, {stats['steps']} steps, "
              f"{stats['requests']} model requests, {sum(faults.values())} injected faults "
              f"+ {stats['refused_port_runs']} runs against a refused port, "
              f"{stats['faults']['continuation']} continuations, "
              f"{stats['refused']} refused actions")
        print(f"chaos faults: {dict(sorted(faults.items()))}")
        print(f"chaos outcomes: {dict(sorted(stats['outcomes'].items()))}")
    assert set(faults) == set(FAULTS) - {"ok"}  # every kind of fault was exercised
    assert {"done", "error", "stuck"} <= set(stats["outcomes"])
