"""``guiagent doctor``: check a model server for a protocol; each check's verdict and fix."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from ..model import DEFAULT_BASE_URL
from ..serve.families import FAMILIES
from .terminal import console as terminal_console
from .terminal import error, styled

err = terminal_console()
out = terminal_console(stderr=False)

EXIT_USABLE, EXIT_UNUSABLE, EXIT_USAGE = 0, 1, 2
_STYLE = {"ok": "green", "warn": "yellow", "fail": "red", "skip": "dim"}


def doctor(
    model_url: Annotated[str, typer.Option(envvar="GUIAGENT_MODEL_URL",
                                           help="OpenAI-compatible base URL.")] = DEFAULT_BASE_URL,
    model: Annotated[str | None, typer.Option(
        envvar="GUIAGENT_MODEL", help="Model name (default: the first one served).",
        show_default=False)] = None,
    protocol: Annotated[str | None, typer.Option(
        help=f"Protocol to check for: {', '.join(FAMILIES)} (default: from the model name).",
        show_default=False)] = None,
    api_key: Annotated[str, typer.Option(envvar="GUIAGENT_API_KEY", help="API key.")] = "EMPTY",
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for each answer.")] = 300.0,
    thinking_tokens: Annotated[int, typer.Option(
        min=1, help="Token budget of the probe step (as --thinking-tokens of run).")] = 8192,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check that a model server works for a protocol; each check says what to fix.

    Exit status: 0 usable (perhaps with warnings), 1 not usable, 2 bad usage.
    """
    from ..doctor import diagnose

    if not model_url.startswith(("http://", "https://")):
        error(err, f"--model-url {model_url!r} must start with http:// or https://")
        raise typer.Exit(EXIT_USAGE)
    if protocol is not None and protocol not in FAMILIES:
        error(err, f"unknown protocol {protocol!r}; known: {', '.join(FAMILIES)}")
        raise typer.Exit(EXIT_USAGE)
    diag = diagnose(model_url, model, protocol, api_key=api_key, timeout=timeout,
                    max_tokens=thinking_tokens)
    if as_json:
        typer.echo(json.dumps(diag.as_json(), indent=2, ensure_ascii=False))
    else:
        table = Table(title=None, show_lines=False, expand=False)
        for column in ("check", "verdict", "what was seen", "fix"):
            table.add_column(column, overflow="fold")
        for check in diag.checks:
            table.add_row(styled(check.name), styled((check.verdict, _STYLE[check.verdict])),
                          styled(check.detail), styled(check.fix))
        out.print(styled(f"model server {diag.model_url}, model {diag.model or '?'}, "
                         f"protocol {diag.protocol or '?'}"))
        out.print(table)
        verdict = ("usable", "green") if diag.usable else ("not usable", "red")
        out.print(styled("verdict: ", (verdict[0], f"bold {verdict[1]}")))
    raise typer.Exit(EXIT_USABLE if diag.usable else EXIT_UNUSABLE)


def register(app: typer.Typer) -> None:
    """Add ``doctor`` to the CLI."""
    app.command("doctor")(doctor)
