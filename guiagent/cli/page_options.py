"""``--upload-file`` and ``--http-auth``: what a browser run may hand to pages.

Uploads are declared paths (the file picker offers nothing else). HTTP auth
names two secrets, ``USER_SECRET:PASSWORD_SECRET`` (optionally
``ORIGIN=USER_SECRET:PASSWORD_SECRET``); their values come from ``--secret``,
``--secrets-file`` or ``GUIAGENT_SECRET_<NAME>`` and go to the browser only,
for the start URL's origin unless another is given.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..secrets import Secrets


def http_credentials(spec: str | None, url: str | None, secrets: Secrets) -> dict[str, str] | None:
    """Playwright's ``http_credentials`` for ``--http-auth``; ConfigError for a bad spec."""
    if not spec:
        return None
    origin, sep, names = spec.rpartition("=")
    user_name, colon, pass_name = names.partition(":")
    if not colon or not user_name or not pass_name:
        raise ConfigError(f"--http-auth {spec!r}: expected USER_SECRET:PASSWORD_SECRET (names "
                          "of --secret values), optionally ORIGIN=USER_SECRET:PASSWORD_SECRET")
    values = []
    for name in (user_name.strip(), pass_name.strip()):
        value = secrets.value(name)
        if value is None:
            raise ConfigError(f"--http-auth: there is no secret named {name}; give it with "
                              f"--secret {name}=... or GUIAGENT_SECRET_{name}")
        values.append(value)
    if not sep:
        parts = urlsplit(url or "")
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    creds = {"username": values[0], "password": values[1]}
    if origin:
        creds["origin"] = origin.rstrip("/")
    return creds


def upload_paths(paths: list[Path] | None) -> list[Path]:
    """The declared upload files (checked by the driver)."""
    return list(paths or [])
