"""``guiagent view`` (a run as an HTML page or a GIF) and ``guiagent runs`` (the list of runs)."""

from __future__ import annotations

import time
import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..errors import ConfigError, LogFormatError

err = Console(stderr=True, highlight=False, soft_wrap=True)
EXIT_OK, EXIT_USAGE = 0, 2


def view(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (holds run.json).")],
    open_: Annotated[bool, typer.Option("--open", help="Open the report in a web browser.")] = False,
    gif: Annotated[bool, typer.Option("--gif", help="Also write run.gif, one frame per step.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the report here instead.")] = None,
) -> None:
    """Write RUN_DIR/report.html (self-contained, works offline) and optionally run.gif."""
    from ..replay import write_gif, write_report

    try:
        report = write_report(run_dir, out)
        err.print(f"report: {report}")
        if gif:
            err.print(f"gif: {write_gif(run_dir)}")
    except (LogFormatError, ConfigError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    if open_:
        webbrowser.open(report.resolve().as_uri())


def runs(
    root: Annotated[Path, typer.Argument(help="Directory holding run directories.")] = Path("runs"),
) -> None:
    """List the runs in ROOT (default runs/): outcome, steps, duration and task."""
    from ..replay import list_runs

    if not root.is_dir():
        err.print(f"[red]error:[/red] {root} is not a directory")
        raise typer.Exit(EXIT_USAGE)
    listing = list_runs(root)
    table = Table(title=f"runs in {root}", title_justify="left")
    for column, justify in (("run", "left"), ("started", "left"), ("kind", "left"),
                            ("outcome", "left"), ("steps", "right"), ("seconds", "right"),
                            ("task", "left")):
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    out = Console(soft_wrap=False)
    room = max(24, out.width - 90)  # one line per run: the task gets what the rest leaves
    colors = {"done": "green", "answered": "green", "running": "yellow"}
    for run in listing.runs:
        color = colors.get(run.outcome, "red")
        table.add_row(run.path.name, time.strftime("%Y-%m-%d %H:%M", time.localtime(run.started_at)),
                      run.kind, f"[{color}]{run.outcome}[/{color}]", str(run.steps),
                      f"{run.seconds:.1f}",
                      run.task if len(run.task) <= room else run.task[:room - 1] + "…")
    out.print(table)
    if not listing.runs:
        err.print(f"no runs in {root}")
    for problem in listing.unreadable:
        err.print(f"[yellow]skipped:[/yellow] {problem}")


def register(app: typer.Typer) -> None:
    """Add ``view`` and ``runs`` to the top-level command line."""
    app.command("view")(view)
    app.command("runs")(runs)
