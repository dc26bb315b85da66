"""Secrets: the model types a placeholder, the driver types the value.

A password must reach the login form but never the model, the run log, a
report or a GIF. The model is told which placeholders exist
(``{{secret:PASSWORD}}``, never the value) and types one like any text;
:class:`SecretsDriver` wraps the real driver and substitutes the value at the
moment of execution, so prompts, answers, steps.jsonl and run.json only ever
hold the placeholder. Error messages and results coming back from the wrapped
driver are redacted.

Values come from ``--secret NAME=VALUE``, a file of ``NAME=VALUE`` lines
(``--secrets-file``), or environment variables ``GUIAGENT_SECRET_<NAME>``.

Not covered: a value the page itself displays in plain text (a visible text
field, an echo on screen) is in the screenshots; browsers mask password fields.
The desktop driver types through the clipboard, which then holds the value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .actions import Action, Type
from .drivers.base import ActionResult, Observation
from .errors import ActionRefusedError, ConfigError, DriverError, GuiAgentError
from .geometry import ScreenFrame
from .redaction import Redactor

ENV_PREFIX = "GUIAGENT_SECRET_"
PLACEHOLDER_RE = re.compile(r"\{\{\s*secret:([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
REDACTED = "[secret]"


def placeholder(name: str) -> str:
    """The text the model types for secret ``name``."""
    return "{{secret:" + name + "}}"


class Secrets:
    """Named secret values; knows their placeholders, substitutes and redacts them."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values: dict[str, str] = {}
        self._redactor: Redactor | None = None
        for name, value in (values or {}).items():
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        """Add one secret; names are letters, digits and underscores."""
        if not NAME_RE.fullmatch(name):
            raise ConfigError(f"secret name {name!r} must be letters, digits and underscores, "
                              "e.g. --secret PASSWORD=...")
        if not value:
            raise ConfigError(f"secret {name} is empty")
        self._values[name] = value
        self._redactor = None

    @classmethod
    def from_sources(cls, pairs: Iterable[str] = (), file: str | Path | None = None,
                     env: Mapping[str, str] | None = None) -> Secrets:
        """Environment ``GUIAGENT_SECRET_<NAME>``, then the file, then ``NAME=VALUE`` pairs."""
        secrets = cls()
        for key, value in (os.environ if env is None else env).items():
            if key.startswith(ENV_PREFIX) and len(key) > len(ENV_PREFIX) and value:
                secrets.add(key[len(ENV_PREFIX):], value)
        if file is not None:
            path = Path(file)
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise ConfigError(f"cannot read the secrets file {path}: {exc}") from exc
            for number, line in enumerate(lines, start=1):
                if line.strip() and not line.lstrip().startswith("#"):
                    secrets._add_pair(line, f"{path}:{number}")
        for pair in pairs:
            secrets._add_pair(pair, "--secret")
        return secrets

    def _add_pair(self, text: str, where: str) -> None:
        name, sep, value = text.partition("=")
        if not sep:
            raise ConfigError(f"{where}: expected NAME=VALUE (the value is not shown here)")
        self.add(name.strip(), value.strip() if where != "--secret" else value)

    @property
    def names(self) -> list[str]:
        """The secrets' names, sorted."""
        return sorted(self._values)

    def __bool__(self) -> bool:
        return bool(self._values)

    def value(self, name: str) -> str | None:
        """The value of secret ``name`` (for the browser's HTTP auth), None if unknown."""
        return self._values.get(name)

    def __repr__(self) -> str:  # never the values
        return f"Secrets({', '.join(self.names)})"

    def prompt_tip(self) -> str:
        """The tip for the model's prompt: placeholders only."""
        if not self:
            return ""
        items = ", ".join(placeholder(n) for n in self.names)
        return (f"Secrets such as passwords are hidden from you. To enter one, type its "
                f"placeholder exactly, e.g. type(content='{placeholder(self.names[0])}'); it is "
                f"replaced by the real value as it is typed. Available: {items}.")

    def substitute(self, text: str) -> str:
        """Replace every placeholder by its value; unknown names are refused."""
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self._values:
                known = ", ".join(placeholder(n) for n in self.names) or "none"
                raise ActionRefusedError(f"there is no secret named {name}; available: {known}")
            return self._values[name]
        return PLACEHOLDER_RE.sub(value, text)

    def redactor(self) -> Redactor:
        """Replaces each value, in any of its encoded forms, by its placeholder."""
        if self._redactor is None:
            self._redactor = Redactor({v: placeholder(n) for n, v in self._values.items()})
        return self._redactor

    def redact(self, text: str) -> str:
        """Replace every secret value in ``text`` (URL-, JSON-, repr-encoded too) by its
        placeholder."""
        return self.redactor().text(text)


class SecretsDriver:
    """Wraps a driver: types secret values where the model typed placeholders.

    Everything else is passed through, including attributes such as ``page``.
    """

    def __init__(self, driver: Any, secrets: Secrets) -> None:
        self.driver = driver
        self.secrets = secrets
        self.name = driver.name

    def start(self) -> None:
        """Start the wrapped driver."""
        self.driver.start()

    def observe(self) -> Observation:
        """Observe through the wrapped driver."""
        return self.driver.observe()

    def act(self, action: Action, frame: ScreenFrame) -> ActionResult:
        """Substitute placeholders in typed text, act, and redact what comes back."""
        real = action
        if isinstance(action, Type) and PLACEHOLDER_RE.search(action.content):
            real = action.model_copy(update={"content": self.secrets.substitute(action.content)})
        try:
            result = self.driver.act(real, frame)
        except GuiAgentError as exc:
            message = self.secrets.redact(str(exc))
            if message == str(exc):
                raise
            raise (type(exc)(message) if type(exc) in _SIMPLE else DriverError(message)) from None
        except Exception as exc:  # noqa: BLE001 - a foreign error may quote the typed text
            raise DriverError(self.secrets.redact(f"{type(exc).__name__}: {exc}")) from None
        return result.model_copy(update={"detail": self.secrets.redact(result.detail)})

    def collect_page_events(self, run_dir: Any) -> Any:
        """The wrapped browser's page events, with secret values (typed into a prompt) redacted."""
        collect = getattr(self.driver, "collect_page_events", None)
        events = collect(run_dir) if callable(collect) else None
        if events is None:
            return None
        raw = events.model_dump_json()
        redacted = self.secrets.redact(raw)
        return events if redacted == raw else type(events).model_validate_json(redacted)

    def close(self) -> None:
        """Close the wrapped driver."""
        self.driver.close()

    def describe(self) -> dict:
        """The wrapped driver's settings, plus the secrets' names."""
        return {**self.driver.describe(), "secrets": self.secrets.names}

    def __enter__(self) -> SecretsDriver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.driver, name)


def redactor_of(driver: Any) -> Redactor:
    """The redactor for a run on ``driver``: its secrets' when it is a SecretsDriver."""
    secrets = getattr(driver, "secrets", None) if isinstance(driver, SecretsDriver) else None
    return secrets.redactor() if isinstance(secrets, Secrets) else Redactor()


_SIMPLE = (DriverError, ActionRefusedError)
