"""The action guard: a policy checked between parsing an action and executing it.

:class:`ActionGuard` is an :class:`~guiagent.hooks.AgentHooks`. Before each
action it refuses

* points outside the screenshot (before the driver moves anything);
* key combinations holding a denied one (``ctrl+alt+delete``,
  ``ctrl+alt+backspace``, with or without more keys; ``alt+f4`` too unless the
  policy says the run is sandboxed);
* actions on elements matching a confirmation pattern ("Buy", "Delete",
  "Pay", ...) unless a person confirms them on the terminal; unattended runs
  refuse them. The text checked is the action's ``element_info`` and, in a
  browser, the accessible name and text of what the action presses: the
  control under a click (into iframes), the focused control for Enter/Space in
  any form (:mod:`guiagent.guard_dom`);

and it paces actions to ``max_actions_per_minute``. With ``allow_domains``, a
browser reaches only those domains: the driver's filtering proxy refuses
every other request (redirect hops included), and a page left on an error
page is sent back. A refusal is recorded on the step and
reported to the model in its next prompt; so is a blocked navigation.

Policies are YAML files validated by :class:`GuardPolicy` (see docs/safety.md).
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .actions import Action, Key
from .allowlist import AllowList
from .drivers.base import ActionResult, Observation
from .errors import ActionRefusedError, ConfigError
from .guard_browser import BrowserWatch, domain_allowed, element_text
from .hooks import AgentHooks, add_note
from .keys import parse_combo
from .runlog import StepRecord
from .secrets import SecretsDriver, redactor_of
from .yaml_limits import load_bounded

Confirm = Callable[[str], bool]


class GuardPolicy(BaseModel):
    """What the guard allows; every field has a safe default."""

    model_config = ConfigDict(extra="forbid")

    #: Denied with any extra keys too (``ctrl+alt+shift+delete`` contains ``ctrl+alt+delete``).
    #: ``ctrl+alt+backspace`` kills an X server where "zapping" is enabled.
    deny_keys: list[str] = ["ctrl+alt+delete", "ctrl+alt+backspace"]
    #: Also denied unless ``sandboxed`` (closing windows is harmless in a throwaway desktop;
    #: ``ctrl+alt+F1..F12`` switch a real machine to another virtual terminal, leaving the
    #: agent screenshotting a console or a login screen, and do nothing under Xvfb).
    deny_keys_outside_sandbox: list[str] = ["alt+f4", *(f"ctrl+alt+f{n}" for n in range(1, 13))]
    sandboxed: bool = False
    #: Domains a browser may navigate to (subdomains included); empty means any.
    allow_domains: list[str] = []
    max_actions_per_minute: float | None = Field(default=None, gt=0)
    #: Regular expressions (case-insensitive) that make an action need a person's yes.
    confirm_patterns: list[str] = [r"\bbuy\b", r"\bpurchase\b", r"\bpay\b", r"\bcheckout\b",
                                   r"\bplace order\b", r"\bdelete\b", r"\bremove account\b",
                                   r"\btransfer\b"]

    @field_validator("deny_keys", "deny_keys_outside_sandbox")
    @classmethod
    def _combos(cls, keys: list[str]) -> list[str]:
        for combo in keys:
            try:
                parse_combo(combo)
            except ActionRefusedError as exc:
                raise ValueError(f"{combo!r}: {exc}") from exc
        return keys

    @field_validator("allow_domains")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        AllowList(domains)  # raises ValueError naming the bad entry
        return domains

    @field_validator("confirm_patterns")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from exc
        return patterns

    @classmethod
    def load(cls, path: str | Path) -> GuardPolicy:
        """Read a YAML policy file; errors name the file and the field."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the policy file {path}: {exc}") from exc
        data = load_bounded(text, str(path), ConfigError, "policy file")[0] or {}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise ConfigError(f"{path}: {where}: {first['msg']}; see docs/safety.md for the "
                              "policy fields") from exc

    def denied_combos(self) -> list[frozenset[str]]:
        """The denied key combinations as sets of canonical key names."""
        keys = self.deny_keys + ([] if self.sandboxed else self.deny_keys_outside_sandbox)
        return [frozenset(parse_combo(k)) for k in keys]


def terminal_confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal (stderr); no answer means no.

    The question quotes page text: it is printed as text, never as markup.
    """
    from rich.prompt import Confirm as RichConfirm
    from rich.text import Text

    from .cli.terminal import console, printable

    try:
        return RichConfirm.ask(Text(printable(question)), console=console(), default=False)
    except EOFError:
        return False


class ActionGuard(AgentHooks):
    """Refuses, paces or asks about actions according to a :class:`GuardPolicy`.

    ``confirm`` asks a person (``terminal_confirm`` in interactive runs); None
    means unattended, where actions needing confirmation are refused.
    """

    def __init__(self, policy: GuardPolicy | None = None, *, confirm: Confirm | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.policy = policy or GuardPolicy()
        self.confirm = confirm
        self.clock, self.sleep = clock, sleep
        self._denied = self.policy.denied_combos()
        self._patterns = [re.compile(p, re.IGNORECASE) for p in self.policy.confirm_patterns]
        self._recent: deque[float] = deque()
        self.driver: Any = None
        self.browser: BrowserWatch | None = None
        self._context: Any = None

    def prepare(self, driver: Any) -> None:
        """Before ``driver`` starts: make a browser hold ``allow_domains`` at the network.

        A browser driver (one with an ``allow_domains`` setting) then starts behind
        the filtering proxy; :meth:`on_run_start` refuses to run a browser without it.
        """
        target = driver.driver if isinstance(driver, SecretsDriver) else driver
        if self.policy.allow_domains and hasattr(target, "allow_domains"):
            target.allow_domains = list(self.policy.allow_domains)

    def on_run_start(self, driver: Any) -> None:
        """Remember the driver; in a browser, start watching navigations."""
        context = getattr(driver, "context", None)
        same = driver is self.driver and self.browser is not None and context is self._context
        self.driver, self._context = driver, context
        self._recent.clear()
        if not same:  # a skill starts one agent run per agent: step on the same browser
            self.browser = BrowserWatch.attach(driver, self.policy.allow_domains)

    def on_step_start(self, index: int, observation: Observation) -> None:
        """Note the last allowed page, to return to if a navigation escapes."""
        if self.browser is not None:
            self.browser.seen(observation.url)

    def before_action(self, step: StepRecord, action: Action, observation: Observation) -> None:
        """Refuse what the policy forbids; ask about what needs confirmation; pace."""
        for box in ("start_box", "end_box"):
            point = getattr(action, box, None)
            if point is not None:
                observation.frame.resolve(point.x, point.y)  # raises OffScreenError
        if isinstance(action, Key) and self._is_denied(action.keys):
            raise ActionRefusedError(f"the key combination {action.keys} is not allowed by the "
                                     "action policy")
        self._confirm_if_needed(step, action, observation)
        self._pace(step)

    def _is_denied(self, keys: str) -> bool:
        """A combination is denied when it holds every key of a denied one (extra keys or not)."""
        pressed = frozenset(parse_combo(keys))
        return any(denied <= pressed for denied in self._denied)

    def after_action(self, step: StepRecord, result: ActionResult) -> None:
        """In a browser, undo and report navigation to a domain that is not allowed."""
        if self.browser is not None:
            for note in self.browser.enforce():
                add_note(step, note)
            refused = self.browser.refused_requests()
            if refused:
                step.extra["blocked_requests"] = refused[:20]

    def _confirm_if_needed(self, step: StepRecord, action: Action, obs: Observation) -> None:
        texts = [getattr(action, "element_info", "") or ""]
        dialog = getattr(self.driver, "confirmation_text", None)
        if callable(dialog):  # accepting a page's confirm() is a confirmation point too
            texts.append(dialog(action, obs.frame) or "")
        if self.driver is not None and getattr(self.driver, "page", None) is not None:
            texts.append(element_text(self.driver.page, action, obs.frame))
        text = " | ".join(t for t in texts if t)
        hit = next((p.pattern for p in self._patterns if p.search(text)), None)
        if hit is None:
            return
        step.extra["guard"] = {"confirm": hit, "target": text[:200]}
        what = f"{action.to_call()} on {text[:120]!r}"
        if self.confirm is None:
            raise ActionRefusedError(
                f"{what} needs a person's confirmation (it matches {hit!r}) and this run is "
                "unattended; do not try it again: finish another way, or FAIL() if the task "
                "requires it")
        # asked on a terminal or a page, not through the log: redacted here
        question = redactor_of(self.driver).text(f"The agent wants to run {what}. Allow it?")
        if not self.confirm(question):
            raise ActionRefusedError(f"the user did not allow {what}; do not try it again")
        step.extra["guard"]["confirmed"] = True

    def _pace(self, step: StepRecord) -> None:
        limit = self.policy.max_actions_per_minute
        if limit is None:
            return
        now = self.clock()
        while self._recent and now - self._recent[0] >= 60:
            self._recent.popleft()
        if len(self._recent) >= limit:
            wait = 60 - (now - self._recent[0])
            step.extra["throttled_seconds"] = round(wait, 3)
            self.sleep(wait)
            now = self.clock()
        self._recent.append(now)


__all__ = ["ActionGuard", "GuardPolicy", "domain_allowed", "terminal_confirm"]
