"""``guiagent sandbox desktop``: a virtual X11 desktop in the foreground.

It prints ``DISPLAY=:N`` so that another shell (or ``guiagent run --driver
desktop``) can use it, launches the command given after ``--``, and keeps
everything up until Ctrl-C or SIGTERM, then ends every process it started.
``register`` attaches the command to the main CLI's ``sandbox`` group;
``python -m guiagent.cli.sandbox_desktop`` runs it standalone.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from guiagent.errors import GuiAgentError
from guiagent.sandboxes.desktop import DesktopSandbox
from guiagent.sandboxes.desktop.apps import prepare_command


def desktop(
    command: Annotated[
        list[str] | None,
        typer.Argument(help="App to launch on the display, after '--' (e.g. -- xterm)."),
    ] = None,
    size: Annotated[str, typer.Option(help="Screen size WIDTHxHEIGHT.")] = "1280x720",
    display: Annotated[
        str | None, typer.Option(help="Display to use, e.g. :99. Default: the first free one.")
    ] = None,
    window_manager: Annotated[
        str, typer.Option("--wm", help="Window manager to run ('none' for none).")
    ] = "openbox",
) -> None:
    """Run Xvfb, a window manager and COMMAND until Ctrl-C, then tear everything down."""
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    sandbox: DesktopSandbox | None = None
    try:
        sandbox = DesktopSandbox(
            size=size, display=display,
            window_manager=None if window_manager == "none" else window_manager,
        )
        sandbox.start()
        typer.echo(f"DISPLAY={sandbox.display}", nl=True)
        typer.echo(f"Desktop {sandbox.size} running; Ctrl-C to stop.", err=True)
        proc = None
        if command:
            # LibreOffice gets a private profile without first-run dialogs, as with --app.
            argv, extra_env = prepare_command(command, sandbox.logdir or Path.cwd())
            proc = sandbox.launch(argv, env=extra_env)
        reported = False
        while not stop.wait(0.2):
            if proc is not None and not reported and proc.poll() is not None:
                assert command  # proc is only started for a command
                typer.echo(f"{command[0]} exited with {proc.returncode}; the desktop stays up.",
                           err=True)
                reported = True
            if not sandbox.running:
                typer.echo("Xvfb exited unexpectedly.", err=True)
                raise typer.Exit(1)
    except GuiAgentError as exc:
        typer.echo(f"Cannot start the desktop: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        if sandbox is not None:
            sandbox.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    typer.echo("Desktop stopped.", err=True)


def register(sandbox_app: typer.Typer) -> None:
    """Add ``desktop`` to the ``sandbox`` command group."""
    sandbox_app.command(
        "desktop",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(desktop)


def _standalone() -> typer.Typer:
    app = typer.Typer(add_completion=False)
    register(app)

    @app.callback()
    def _root() -> None:
        """Sandboxes."""

    return app


if __name__ == "__main__":  # pragma: no cover
    _standalone()()
