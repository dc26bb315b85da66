"""Setup helpers for evaluation tasks on the web sandbox (``python:`` setup steps).

A task about the account area usually starts signed in, as a user's browser
would be: ``setup: [{python: "guiagent.sandboxes.web.fixtures:sign_in"}]``.
Signing in posts the real login form through the episode's own browser
context, so the session cookie is the one the site itself set; tasks about
logging in simply leave this step out.
"""

from __future__ import annotations

from typing import Any

from guiagent.errors import ConfigError, DriverError


def sign_in(ctx: Any, username: str = "demo", password: str = "demo123") -> None:
    """Sign the episode's browser in to its sandbox (``ctx``: an EpisodeContext with page and URL)."""
    if ctx.page is None or not ctx.sandbox_url:
        raise ConfigError("sign_in needs a browser episode with a web sandbox "
                                    "(a task url with {sandbox})")
    resp = ctx.page.request.post(ctx.sandbox_url + "/login", max_redirects=0,
                                 form={"username": username, "password": password})
    if resp.status != 303:
        raise DriverError(f"signing in to the sandbox as {username!r} failed "
                                    f"(HTTP {resp.status}); check the credentials")
