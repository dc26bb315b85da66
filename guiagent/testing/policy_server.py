"""A stand-in POLICY for suite tests and benchmarks: real HTTP, GLM-4.1V's format, actions from pixels.

It plays a model that knows how each task should go (a plan of intentions per
task, keyed by the task instruction found in the prompt) but must still look:
every click and every answer is computed from the screenshot of the request,
read with tesseract (:mod:`.screen_reading`); it never sees a DOM. Its place in
the plan comes from the history in the prompt: each answer names the plan step
it carries out, and the next request's history shows how far it got.

With ``wrong_rate`` > 0 it errs on that share of its answers (a seeded choice
per task and step, so a run is reproducible and the same on any backend): it
clicks a wrong place, answers a wrong value, says DONE too early, or claims an
infeasible task done. Suites then see real successes and real failures.

Run it: ``python -m guiagent.testing.policy_server --port 8000 --wrong-rate 0.1``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import random
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .intentions import LOOKS, Intention, wrong_action
from .model_server import GlmModelServer, ModelRequest, Reply, glm_answer
from .screen_reading import NotOnScreen, NotYet, Screen

#: Modules whose ``plans()`` returns {task instruction: [intention, ...]}; missing ones are skipped.
PLAN_MODULES = ["guiagent.testing.policy_plans", "guiagent.testing.office_plans"]
MAX_LOOKS = 2  # scrolls to look for something not on screen before giving up
MAX_WAITS = 12  # WAIT() answers for something that has not appeared yet before giving up
_MARK = re.compile(r"\(plan step (\d+) of \d+\)")
_REFUSED = "action was refused and not executed"  # the note the agent adds to a refused step


def normalise_task(text: str) -> str:
    """Whitespace-insensitive key of a task instruction."""
    return " ".join(text.split())


def load_plans(modules: Iterable[str] = PLAN_MODULES) -> dict[str, list[Intention]]:
    """Merge the plans of the given modules (keyed by normalised instruction)."""
    plans: dict[str, list[Intention]] = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        plans.update({normalise_task(k): v for k, v in module.plans().items()})
    return plans


def history_steps(prompt: str) -> list[str]:
    """The ``step N: ...`` entries of the prompt's history section, in order."""
    history = prompt.split("# History", 1)[-1]
    return [s for s in re.split(r"(?m)^step \d+: ", history)[1:]]


@dataclass
class Decision:
    """What the policy did for one request (kept for tests and debugging)."""

    task: str
    step: int
    plan_step: int | None
    intention: str
    action: str
    wrong: str = ""
    seconds: float = 0.0


@dataclass
class Policy:
    """The responder: one GLM answer per request, from the plan and the screenshot."""

    plans: dict[str, list[Intention]]
    wrong_rate: float = 0.0
    seed: int = 0
    delay: float = 0.0
    decisions: list[Decision] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0.0 <= self.wrong_rate <= 1.0:
            raise ValueError("wrong_rate must be between 0 and 1")
        self._lock = threading.Lock()

    def __call__(self, req: ModelRequest) -> Reply:
        """Answer one request (sleeping so the answer takes at least ``delay`` seconds)."""
        t0 = time.perf_counter()
        task = normalise_task(req.task)
        plan = self.plans.get(task)
        if plan is None:
            return Reply(status=400, content=f"the stand-in policy has no plan for the task "
                                             f"{req.task[:200]!r}")
        content, decision = self._answer(task, plan, req)
        decision.seconds = time.perf_counter() - t0
        with self._lock:
            self.decisions.append(decision)
        return Reply(content=content, delay=max(0.0, self.delay - decision.seconds))

    def rng(self, task: str, step: int) -> random.Random:
        """The seeded chance of one step of one task (independent of timing and workers)."""
        digest = hashlib.sha256(f"{self.seed}|{task}|{step}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def _answer(self, task: str, plan: list[Intention], req: ModelRequest) -> tuple[str, Decision]:
        history = history_steps(req.text)
        marks = [int(m.group(1)) for h in history for m in _MARK.finditer(h)]
        done = max(marks, default=0)
        looks = len(history) - max((i + 1 for i, h in enumerate(history) if _MARK.search(h)),
                                   default=0)
        step = len(history) + 1
        if history and _REFUSED in history[-1]:  # the guard said: not without a person's yes
            return self._reply("FAIL()", "That action needs a person's confirmation, and the task "
                                         "cannot be finished without it."), Decision(
                task, step, None, "give up after a refusal", "FAIL()")
        if done >= len(plan):  # the plan ran out but the episode goes on: stop
            return self._reply("DONE()", "I have done everything the task asks."), Decision(
                task, step, None, "stop", "DONE()")
        intention = plan[done]
        mark = f"(plan step {done + 1} of {len(plan)})"
        screen = Screen(req.images[0]) if req.images else None
        rng = self.rng(task, step)
        if self.wrong_rate and rng.random() < self.wrong_rate and screen is not None:
            action, wrong = wrong_action(intention, screen, rng)
            text = f"I {intention.describe()}. {mark}"
            return self._reply(action, text), Decision(task, step, done + 1, intention.describe(),
                                                       action, wrong=wrong)
        if screen is None and isinstance(intention, LOOKS):
            return self._reply("FAIL()", "I received no screenshot."), Decision(
                task, step, None, intention.describe(), "FAIL()", wrong="no screenshot")
        try:
            action = intention.act(screen)  # type: ignore[arg-type]  # Screen checked above
        except NotYet as exc:
            action = "WAIT()" if looks < MAX_WAITS else "FAIL()"
            return self._reply(action, f"I want to {intention.describe()}, but {exc}."), Decision(
                task, step, None, intention.describe(), action, wrong=str(exc))
        except NotOnScreen as exc:
            if looks < MAX_LOOKS:
                action = "scroll(start_box='[500,500]', direction='down', step=3, element_info='page')"
                return self._reply(action, f"I want to {intention.describe()}, but {exc}; "
                                           "I scroll to look for it."), Decision(
                    task, step, None, intention.describe(), action, wrong=str(exc))
            return self._reply("FAIL()", f"I want to {intention.describe()}, but {exc}."), Decision(
                task, step, None, intention.describe(), "FAIL()", wrong=str(exc))
        return self._reply(action, f"I {intention.describe()}. {mark}"), Decision(
            task, step, done + 1, intention.describe(), action)

    @staticmethod
    def _reply(action: str, explanation: str) -> str:
        return glm_answer(action, explanation=explanation,
                          thinking="I compare the screen with what the task still needs.")


def policy_server(plans: dict[str, list[Intention]] | None = None, *, wrong_rate: float = 0.0,
                  seed: int = 0, delay: float = 0.0, host: str = "127.0.0.1",
                  port: int = 0) -> GlmModelServer:
    """A :class:`GlmModelServer` answering with a :class:`Policy` (``server.responder``)."""
    policy = Policy(load_plans() if plans is None else plans, wrong_rate=wrong_rate, seed=seed,
                    delay=delay)
    return GlmModelServer(policy, host=host, port=port)


def main(argv: list[str] | None = None) -> None:
    """Serve the stand-in policy until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m guiagent.testing.policy_server",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--wrong-rate", type=float, default=0.0,
                        help="share of answers that are mistakes, 0..1 (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the mistakes")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="answer no sooner than this many seconds (a real model step: ~1.5)")
    parser.add_argument("--plans", action="append", metavar="MODULE",
                        help="module with plans() (repeatable; default: the bundled plans)")
    args = parser.parse_args(argv)
    try:
        server = policy_server(load_plans(args.plans or PLAN_MODULES), wrong_rate=args.wrong_rate,
                               seed=args.seed, delay=args.delay, host=args.host,
                               port=args.port).start()
    except (OSError, ValueError) as exc:
        parser.exit(2, f"cannot start the stand-in policy: {exc}\n")
    policy: Any = server.responder
    print(f"Stand-in policy serving {len(policy.plans)} task plans at {server.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
