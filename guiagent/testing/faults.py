"""A model server that fails on demand: every fault a real deployment shows, over real HTTP.

:class:`FaultInjector` is a responder for
:class:`~guiagent.testing.model_server.GlmModelServer`. For each request it
picks a fault (from a list, a function, or a seeded random choice), and
answers either correctly (from per-step answers) or with that fault:

=================  ==============================================================
``ok``             the step's answer
``timeout``        the answer, after ``timeout_delay`` seconds (set the client's
                   timeout below it)
``rate_limit``     HTTP 429 with ``Retry-After: <retry_after>``
``server_error``   HTTP 500; ``bad_gateway`` 502; ``unavailable`` 503
``empty``          an empty ``content``
``truncated``      the answer cut in the middle, ``finish_reason: length``
``no_action``      a well-formed answer with prose but no action
``endless_think``  ``<think>`` that never ends, ``finish_reason: length``; the
                   continuation request (``continue_final_message``) then gets
                   the rest of the step's answer
``malformed_json`` a 200 whose body is not JSON
``drop``           the connection closed without an answer
=================  ==============================================================

A refused connection needs no server: :func:`closed_port_url` gives the URL of a
port nobody listens on.
"""

from __future__ import annotations

import itertools
import random
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from .model_server import GlmModelServer, ModelRequest, Reply

Fault = Literal["ok", "timeout", "rate_limit", "server_error", "bad_gateway", "unavailable",
                "empty", "truncated", "no_action", "endless_think", "malformed_json", "drop"]
FAULTS: tuple[Fault, ...] = get_args(Fault)
#: The faults a client recovers from by retrying the same request.
TRANSPORT_FAULTS = ("timeout", "rate_limit", "server_error", "bad_gateway", "unavailable",
                    "malformed_json", "drop")
#: The faults that need the model to be asked again (or to continue).
ANSWER_FAULTS = ("empty", "truncated", "no_action", "endless_think")
#: The faults drawn from by default: every one but "ok".
_FAULTY: tuple[Fault, ...] = tuple(f for f in FAULTS if f != "ok")

NO_ACTION = ("<think>I am not sure what this screen shows.</think><answer>I do not know which "
             "element to use here.\nMemory:\n[]</answer>")


def closed_port_url() -> str:
    """A ``/v1`` URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def is_continuation(req: ModelRequest) -> bool:
    """True for the request that continues an assistant prefix (after a cut-off think)."""
    return bool(req.body.get("continue_final_message"))


@dataclass
class Injected:
    """One request the injector answered, and how."""

    index: int
    step: int
    fault: Fault | Literal["continuation"]


class FaultInjector:
    """Answers requests with the step's answer or with a chosen fault.

    ``answers`` is a list indexed by step (the last one repeats) or a function
    of the request; re-asks and retries of a step therefore get the same answer.
    ``faults`` is a list used in order (then ``ok``), a function of the request,
    or None with ``seed`` and ``rate``: each request is faulty with probability
    ``rate``, the fault drawn uniformly from ``choices``.
    """

    def __init__(self, answers: list[str] | Callable[[ModelRequest], str],
                 faults: Iterable[Fault] | Callable[[ModelRequest], Fault] | None = None, *,
                 seed: int | None = None, rate: float = 0.3,
                 choices: Iterable[Fault] = _FAULTY,
                 timeout_delay: float = 1.0, retry_after: float = 1.0) -> None:
        self._answers = answers
        if callable(faults):
            self._fault: Callable[[ModelRequest], Fault] = faults
        elif faults is not None:
            queue = iter(list(faults))
            self._fault = lambda req: next(queue, "ok")
        else:
            rng, pool = random.Random(seed), list(choices)
            self._fault = lambda req: rng.choice(pool) if rng.random() < rate else "ok"
        self.timeout_delay = timeout_delay
        self.retry_after = retry_after
        self.injected: list[Injected] = []
        self._lock = threading.Lock()
        self._counter = itertools.count()

    def server(self, **kwargs: Any) -> GlmModelServer:
        """A :class:`GlmModelServer` answering through this injector."""
        return GlmModelServer(self, **kwargs)

    def answer_for(self, req: ModelRequest) -> str:
        """The correct answer of the request's step."""
        if callable(self._answers):
            return self._answers(req)
        return self._answers[min(req.step, len(self._answers)) - 1]

    def __call__(self, req: ModelRequest) -> Reply:
        """Pick the fault for this request and build the reply."""
        answer = self.answer_for(req)
        with self._lock:
            index = next(self._counter)
            if is_continuation(req):
                self.injected.append(Injected(index, req.step, "continuation"))
                rest = answer.split("<answer>", 1)[-1]
                return Reply(content=rest if rest.endswith("</answer>") else rest + "</answer>")
            fault = self._fault(req)
            self.injected.append(Injected(index, req.step, fault))
        return self.reply(fault, answer)

    def reply(self, fault: Fault, answer: str) -> Reply:
        """The reply that produces ``fault`` for a step whose answer is ``answer``."""
        if fault == "ok":
            return Reply(content=answer)
        if fault == "timeout":
            return Reply(content=answer, delay=self.timeout_delay)
        if fault == "rate_limit":
            return Reply(content="rate limit reached, slow down", status=429,
                         headers={"Retry-After": f"{self.retry_after:g}"})
        status = {"server_error": 500, "bad_gateway": 502, "unavailable": 503}.get(fault)
        if status:
            return Reply(content=f"injected HTTP {status}", status=status)
        if fault == "empty":
            return Reply(content="")
        if fault == "truncated":
            head = answer.split("<|begin_of_box|>")[0] if "<|begin_of_box|>" in answer \
                else answer[: len(answer) // 2]
            return Reply(content=head + "<|begin_of_box|>left_cl", finish_reason="length")
        if fault == "no_action":
            return Reply(content=NO_ACTION)
        if fault == "endless_think":
            return Reply(content="<think>" + "Let me look at the screen again. " * 40,
                         finish_reason="length")
        if fault == "malformed_json":
            return Reply(content="", raw_body='{"id": "chatcmpl-1", "choices": [{"mess')
        if fault == "drop":
            return Reply(content="", drop_connection=True)
        raise ValueError(f"unknown fault {fault!r}; choose one of {', '.join(FAULTS)}")

    def counts(self) -> dict[str, int]:
        """How many requests got each fault (and continuations)."""
        out: dict[str, int] = {}
        for item in self.injected:
            out[item.fault] = out.get(item.fault, 0) + 1
        return out
