"""Replaying someone else's run folder safely: the guard applies, nothing is done blind.

A run folder is untrusted input: its ``run.json`` names the driver and the
display, its ``steps.jsonl`` the actions. A replay therefore

* runs every action through an :class:`~guiagent.guard.ActionGuard` (denied key
  combinations, confirmation patterns, the allow list), with the domains the
  recording was restricted to added to the policy's;
* executes an action only after comparing the screen with the screenshot the
  recording chose it on; a step without one (missing, or a path leading out of
  the run folder) is refused unless the user passes ``force``;
* drives a desktop only on a display the user names (see :mod:`.drivers`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..errors import ConfigError
from ..guard import ActionGuard, Confirm, GuardPolicy
from ..runlog import RunRecord, StepRecord


def blind_message(index: int) -> str:
    """Why step ``index`` was not executed."""
    return (f"step {index} has no recorded screenshot to compare the screen with, so its action "
            "would be executed blind; it was not (pass --force to execute such steps anyway)")


def recorded_screenshot(run_dir: Path, step: StepRecord) -> Path | None:
    """The step's screenshot file if it exists inside ``run_dir`` (never a path leading out)."""
    if not step.screenshot:
        return None
    root = run_dir.resolve()
    path = (run_dir / step.screenshot).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def replay_guard(record: RunRecord, policy: GuardPolicy | None = None, *,
                 confirm: Confirm | None = None) -> ActionGuard:
    """The guard for replaying ``record``: ``policy`` plus the domains the recording allowed.

    ``confirm`` None means unattended: actions needing confirmation are refused.
    """
    rules = policy or GuardPolicy()
    recorded = [str(d) for d in (record.driver or {}).get("allow_domains") or []]
    extra = [d for d in recorded if d not in rules.allow_domains]
    if extra:
        try:
            rules = GuardPolicy.model_validate(
                {**rules.model_dump(), "allow_domains": [*rules.allow_domains, *extra]})
        except ValidationError as exc:
            raise ConfigError(f"run.json: driver.allow_domains: {exc.errors()[0]['msg']}") from exc
    return ActionGuard(rules, confirm=confirm)
