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
    rows = [[printable(c) for c in (
        run.path.name, time.strftime("%m-%d %H:%M", time.localtime(run.started_at)),
        run.kind, run.outcome, str(run.steps), f"{run.seconds:.1f}", f"{run.tokens:,}",
        usd(run.cost_usd), run.task)]
            for run in listing.runs]
    headers = ["run", "started", "kind", "outcome", "steps", "seconds", "tokens", "cost", "task"]
    if all(run.cost_usd is None for run in listing.runs):  # no prices: no column of dashes
        rows = [row[:7] + row[8:] for row in rows]
        headers.remove("cost")
    numeric = ("steps", "seconds", "tokens", "cost")
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    widths[0] = min(widths[0], 32)
    # One line per run: the short columns keep their width and the task gets what they
    # (and two cells of padding per column) leave of the terminal.
    room = max(12, out.width - sum(widths[:-1]) - 2 * len(headers) - 1)
    table = Table(title=Text(printable(f"runs in {root}")), title_justify="left", box=box.SIMPLE_HEAD,
                  collapse_padding=True, pad_edge=False)
    for i, header in enumerate(headers):
        table.add_column(header, justify="right" if header in numeric else "left",
                         no_wrap=True, overflow="ellipsis",
                         min_width=widths[i] if i < len(headers) - 1 else None)
    for row in rows:
        row[-1] = row[-1] if len(row[-1]) <= room else row[-1][:room - 1] + "…"
        cells = [Text(cell) for cell in row]
        cells[3].stylize(colors.get(row[3], "red"))
        table.add_row(*cells)
    out.print(table)
    if not listing.runs:
        err.print(styled(f"no runs in {root}"))
    for problem in listing.unreadable:
        err.print(styled(("skipped:", "yellow"), " ", problem))


def register(app: typer.Typer) -> None:
    """Add ``view`` and ``runs`` to the top-level command line."""
    app.command("view")(view)
    app.command("runs")(runs)
