"""Turn ``guiagent run``'s safety options into the guard, the secrets wrapper and prompt tips.

Kept out of ``run_cmd`` so that the command stays a list of options: this is
where ``--policy``, ``--allow-domain``, ``--interactive/--unattended``,
``--secret`` and ``--secrets-file`` (plus ``GUIAGENT_SECRET_<NAME>``) meet.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ConfigError
from ..guard import ActionGuard, Confirm, GuardPolicy, terminal_confirm
from ..hooks import AgentHooks
from ..secrets import Secrets, SecretsDriver


def policy_from_options(policy: Path | None, allow_domains: list[str] | None) -> GuardPolicy:
    """``--policy FILE`` plus ``--allow-domain`` entries; ConfigError names a bad one."""
    rules = GuardPolicy.load(policy) if policy else GuardPolicy()
    if allow_domains:
        try:
            rules = GuardPolicy.model_validate(
                {**rules.model_dump(), "allow_domains": [*rules.allow_domains, *allow_domains]})
        except ValidationError as exc:
            raise ConfigError(f"--allow-domain: {exc.errors()[0]['msg']}") from exc
    return rules


def confirm_from_option(interactive: bool | None) -> Confirm | None:
    """``--interactive/--unattended``: ask on the terminal, or refuse (None: ask on a tty)."""
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    return terminal_confirm if interactive else None


def apply_safety(driver: Any, tips: str | None, *, policy: Path | None = None,
                 allow_domains: list[str] | None = None, interactive: bool | None = None,
                 secrets: list[str] | None = None,
                 secrets_file: Path | None = None) -> tuple[Any, list[AgentHooks], str | None]:
    """Return the (maybe wrapped) driver, the guard hook and the tips for the prompt.

    ``interactive=None`` means: ask on the terminal when stdin is one.
    Raises ConfigError for an unreadable policy or secrets file.
    """
    guard = ActionGuard(policy_from_options(policy, allow_domains),
                        confirm=confirm_from_option(interactive))
    guard.prepare(driver)
    found = Secrets.from_sources(secrets or [], secrets_file)
    if found:
        driver = SecretsDriver(driver, found)
        tips = "\n".join(t for t in (tips, found.prompt_tip()) if t)
    if guard.policy.allow_domains:
        stay = f"Stay on these sites: {', '.join(guard.policy.allow_domains)}."
        tips = "\n".join(t for t in (tips, stay) if t)
    return driver, [guard], tips
