"""``guiagent ui`` (the live web UI) and the wiring of ``guiagent run --live``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import ConfigError
from .terminal import console as terminal_console
from .terminal import error, styled

if TYPE_CHECKING:
    from ..agent import RunResult
    from ..ui import LiveControl, UiServer

err = terminal_console()
EXIT_USAGE = 2
MISSING = "the live UI needs its extra: pip install 'guiagent[ui]'"


def _server_class() -> Any:
    try:
        from ..ui import UiServer
    except ImportError as exc:
        raise ConfigError(f"{MISSING} ({exc})") from exc
    return UiServer


def _announce(server: UiServer) -> None:
    err.print(styled(("live UI: ", "bold"), server.url))
    if server.token:
        err.print(styled(("the UI needs its token: ", "yellow"),
                         "open it with the URL above; keep that URL private"))


def ui(
    port: Annotated[int, typer.Option(help="Port to serve on (0: any free port).")] = 8770,
    host: Annotated[str, typer.Option(
        help="Address to bind; anything but 127.0.0.1/::1 requires the printed token.")] = "127.0.0.1",
    runs: Annotated[Path, typer.Option(help="Runs folder: new runs go here, past runs are "
                                            "listed from here.")] = Path("runs"),
    require_token: Annotated[bool, typer.Option(
        "--require-token", help="Require the printed token on 127.0.0.1 too (a machine other "
        "people log in to: they could reach 127.0.0.1).")] = False,
    policy: Annotated[Path | None, typer.Option(
        help="Action policy YAML for every run started here (docs/safety.md).")] = None,
    allow_domain: Annotated[list[str] | None, typer.Option(
        "--allow-domain", help="Runs started here may only visit this domain (repeatable); "
        "a start URL outside is refused.")] = None,
    secret: Annotated[list[str] | None, typer.Option(
        "--secret", help="NAME=VALUE for runs started here: the model and the person type "
        "{{secret:NAME}} (repeatable; GUIAGENT_SECRET_NAME also works).")] = None,
    secrets_file: Annotated[Path | None, typer.Option(help="File of NAME=VALUE lines.")] = None,
    model_url: Annotated[list[str] | None, typer.Option(
        "--model-url", help="Runs started here may only use this model server (repeatable; "
        "default: any the form names). Screenshots are sent there.")] = None,
) -> None:
    """Serve the live web UI: start runs, watch them, pause, approve, take over."""
    try:
        server_class = _server_class()  # ConfigError without the ui extra
        from ..ui.runs import RunManager, RunSafety
        from ..ui.security import new_token

        safety = RunSafety(policy, list(allow_domain or []), list(secret or []), secrets_file,
                           list(model_url or []))
        safety.check()
        token = new_token() if require_token else None
        server = server_class(RunManager(runs, safety), host, port, token=token).bind()
    except (ConfigError, OSError) as exc:
        error(err, f"cannot serve on {host}:{port}: {exc}" if isinstance(exc, OSError) else exc)
        raise typer.Exit(EXIT_USAGE) from None
    _announce(server)
    err.print(styled(f"runs folder: {runs}  (Ctrl-C stops the server and its runs)"))
    server.serve_forever()


class LiveView:
    """``guiagent run --live``: the UI for this one run, served while it runs."""

    def __init__(self, run_dir: Path, task: str, host: str, port: int) -> None:
        from ..ui import EventHub, LiveControl

        self.control: LiveControl = LiveControl(EventHub())
        self.server: UiServer = _server_class()(run_dir.parent, host, port,
                                                single_run=run_dir.name)
        self.server.manager.attach(run_dir, task, self.control)

    def start(self, guards: list[Any]) -> list[Any]:
        """Serve; the guard asks the page from now on; return the hooks to add to the run."""
        from ..guard import ActionGuard

        self.server.start()
        for guard in guards:
            if isinstance(guard, ActionGuard):
                guard.confirm = self.control.confirm
        _announce(self.server)
        return [self.control]

    def attach(self, agent: Any) -> None:
        """Let the page's Stop end the agent's run."""
        self.control.follow(agent)

    def finish(self, result: RunResult | None) -> None:
        """Tell the page how the run ended, then stop serving."""
        from ..ui.runs import finish

        if result is not None:
            error_text = result.record.error.message if result.record.error else None
            finish(self.control, result.run_dir, result.outcome, answer=result.answer,
                   error=error_text)
        else:
            self.control.finished("error", error="the run ended without a result")
        self.server.stop()


def register(app: typer.Typer) -> None:
    """Add ``guiagent ui``."""
    app.command("ui")(ui)
