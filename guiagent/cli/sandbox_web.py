"""CLI commands for the web sandbox: serve it in the foreground and dump its submissions.

These are plain functions registered onto the ``sandbox`` sub-app by
``register`` so the main CLI decides where they live; running this module
directly (``python -m guiagent.cli.sandbox_web``) gives a standalone app for
manual use and tests.
"""

from __future__ import annotations

import json
import signal
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from guiagent.sandboxes.web import WebSandbox
from guiagent.sandboxes.web import store as web_store

_DB_HELP = "SQLite file to store submissions in (kept after exit). Default: a temporary file."


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _stop_on_sigterm() -> Any:
    """Treat SIGTERM like Ctrl-C so ``kill`` and process managers also stop cleanly.

    Returns the previous handler, or None when not in the main thread (where
    signal handlers cannot be installed).
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)


def web(
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8765,
    db: Annotated[Path | None, typer.Option(help=_DB_HELP)] = None,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Serve the web sandbox until Ctrl-C, printing the URLs of its forms."""
    sandbox = WebSandbox(port=port, db_path=db, host=host, log_requests=True)
    try:
        sandbox.start()
    except OSError as exc:
        typer.echo(f"Cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from exc
    previous = _stop_on_sigterm()
    try:
        typer.echo(f"Web sandbox running at {sandbox.url}")
        for name, url in sandbox.form_urls().items():
            typer.echo(f"  {name:<8} {url}")
        typer.echo(f"  {'api':<8} {sandbox.url}/api/submissions")
        typer.echo(f"Database: {sandbox.db_path}")
        typer.echo("Press Ctrl-C to stop.")
        # Event.wait() without a timeout is interrupted by SIGINT on POSIX.
        threading.Event().wait()
    except KeyboardInterrupt:
        # Handled here: click would otherwise turn it into "Aborted!" with exit code 1.
        typer.echo("Stopping web sandbox.")
    finally:
        sandbox.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _fetch(url: str, form: str | None) -> list[dict[str, Any]]:
    """Read submissions through the running server's JSON endpoint."""
    endpoint = url.rstrip("/") + "/api/submissions"
    if form:
        endpoint += "?" + urllib.parse.urlencode({"form": form})
    with urllib.request.urlopen(endpoint, timeout=10) as resp:
        return json.load(resp)


def web_submissions(
    db: Annotated[Path | None, typer.Option(help="Read this SQLite file directly.")] = None,
    url: Annotated[
        str | None, typer.Option(help="Base URL of a running sandbox, e.g. http://127.0.0.1:8765")
    ] = None,
    form: Annotated[
        str | None, typer.Option(help="Only this form: contact, login or signup.")
    ] = None,
) -> None:
    """Print recorded submissions as a JSON list (give exactly one of --db or --url)."""
    if (db is None) == (url is None):
        raise typer.BadParameter("give exactly one of --db or --url")
    if db is not None:
        if not db.is_file():
            raise typer.BadParameter(f"no such database: {db}", param_hint="--db")
        rows = web_store.list_submissions(db, form)
    else:
        assert url is not None
        try:
            rows = _fetch(url, form)
        except (urllib.error.URLError, OSError) as exc:
            typer.echo(f"Cannot read submissions from {url}: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))


def register(sandbox_app: typer.Typer) -> None:
    """Attach the web sandbox commands to the CLI's ``sandbox`` sub-app."""
    sandbox_app.command("web")(web)
    sandbox_app.command("web-submissions")(web_submissions)


def _standalone() -> typer.Typer:
    app = typer.Typer(help="Web sandbox commands.", no_args_is_help=True)
    register(app)
    return app


if __name__ == "__main__":
    _standalone()()
