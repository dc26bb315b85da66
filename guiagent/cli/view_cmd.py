"""``guiagent view`` (a run as an HTML page or a GIF) and ``guiagent runs`` (the list of runs)."""

from __future__ import annotations

import time
import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..errors import ConfigError, LogFormatError
from ..tokens import usd
from .terminal import console as terminal_console
from .terminal import error, printable, styled

err = terminal_console()
EXIT_OK, EXIT_USAGE = 0, 2
NUMERIC_COLUMNS = ("steps", "seconds", "tokens", "cost")


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
        err.print(styled(f"report: {report}"))
        if gif:
            err.print(styled(f"gif: {write_gif(run_dir)}"))
    except (LogFormatError, ConfigError) as exc:
        error(err, exc)
        raise typer.Exit(EXIT_USAGE) from None
    if open_:
        webbrowser.open(report.resolve().as_uri())


def runs(
    root: Annotated[Path, typer.Argument(help="Directory holding run directories.")] = Path("runs"),
) -> None:
    """List the runs in ROOT (default runs/): outcome, steps, duration, tokens, cost and task."""
    from ..replay import list_runs

    if not root.is_dir():
        error(err, f"{root} is not a directory")
        raise typer.Exit(EXIT_USAGE)
    listing = list_runs(root)
    out = Console(soft_wrap=False, highlight=False, emoji=False, markup=False)
    colors = {"done": "green", "answered": "green", "running": "yellow"}
    # Every cell comes from run folders (maybe someone else's): text, never markup.
    columns = {
        "run": [run.path.name for run in listing.runs],
        "started": [time.strftime("%m-%d %H:%M", time.localtime(run.started_at)) for run in listing.runs],
        "kind": [run.kind for run in listing.runs],
        "outcome": [run.outcome for run in listing.runs],
        "steps": [str(run.steps) for run in listing.runs],
        "seconds": [f"{run.seconds:.1f}" for run in listing.runs],
        "tokens": [f"{run.tokens:,}" for run in listing.runs],
        "cost": [usd(run.cost_usd) for run in listing.runs],
        "task": [run.task for run in listing.runs],
    }
    if all(run.cost_usd is None for run in listing.runs):  # no prices: no column of dashes
        del columns["cost"]
    # Every cell comes from run folders (maybe someone else's): text, never markup.
    cells = {h: [printable(c) for c in col] for h, col in columns.items()}
    widths = {h: min(32, max([len(h), *map(len, col)])) for h, col in cells.items()}
    # One line per run: the short columns keep their width and the task gets what they
    # (and two cells of padding per column) leave of the terminal, at least 12 cells. When
    # that does not fit, columns go in this order: the start time (default run names hold
    # it), the kind, the seconds.
    def room() -> int:
        return out.width - sum(w for h, w in widths.items() if h != "task") - 2 * len(widths) - 1

    for optional in ("started", "kind", "seconds"):
        if room() >= 12:
            break
        del cells[optional], widths[optional]
    task_room = max(12, room())
    table = Table(title=Text(printable(f"runs in {root}")), title_justify="left", box=box.SIMPLE_HEAD,
                  collapse_padding=True, pad_edge=False)
    for header in cells:
        table.add_column(header, justify="right" if header in NUMERIC_COLUMNS else "left",
                         no_wrap=True, overflow="ellipsis",
                         min_width=widths[header] if header != "task" else None)
    for n in range(len(listing.runs)):
        task = cells["task"][n]
        row = {h: Text(col[n]) for h, col in cells.items()}
        row["task"] = Text(task if len(task) <= task_room else task[:task_room - 1] + "…")
        row["outcome"].stylize(colors.get(cells["outcome"][n], "red"))
        table.add_row(*row.values())
    out.print(table)
    if not listing.runs:
        err.print(styled(f"no runs in {root}"))
    for problem in listing.unreadable:
        err.print(styled(("skipped:", "yellow"), " ", problem))


def register(app: typer.Typer) -> None:
    """Add ``view`` and ``runs`` to the top-level command line."""
    app.command("view")(view)
    app.command("runs")(runs)
