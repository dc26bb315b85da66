"""``guiagent mcp``: serve one browser page or desktop as MCP tools (stdio, or HTTP with --http).

On stdio, stdout belongs to the protocol: everything this command says goes to
stderr. The session's run folder is finished (with its report) when the client
disconnects, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import secrets
import signal
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ConfigError, GuiAgentError
from ..guard import ActionGuard
from ..model import DEFAULT_MODEL, ModelSettings, OpenAIChatClient
from ..redaction import strip_userinfo
from ..runlog import Outcome
from .protocol_options import ProtocolOption, chosen_protocol
from .terminal import console as terminal_console
from .terminal import error, styled

err = terminal_console()
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def mcp(
    url: Annotated[str | None, typer.Option(help="Page to open: the session drives this browser.")
                   ] = None,
    desktop: Annotated[bool, typer.Option("--desktop", help="Drive an X11 desktop (a fresh "
                                          "sandbox unless --display is given).")] = False,
    display: Annotated[str | None, typer.Option(help="X display to drive, e.g. :99.")] = None,
    app: Annotated[list[str] | None, typer.Option(
        "--app", help="Command to start on the desktop first (repeatable).")] = None,
    app_timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for each --app "
                                               "window.")] = 180.0,
    input_backend: Annotated[str, typer.Option("--input", help="Desktop input: pyautogui or "
                                               "xdotool.")] = "pyautogui",
    viewport: Annotated[str, typer.Option(help="Browser viewport, or sandbox desktop size, "
                                          "WxH.")] = "1280x720",
    headed: Annotated[bool, typer.Option("--headed", help="Show the browser window.")] = False,
    http: Annotated[int | None, typer.Option(
        "--http", min=1, max=65535, metavar="PORT",
        help="Serve streamable HTTP on this port (at /mcp) instead of stdio.")] = None,
    host: Annotated[str, typer.Option(help="Address to bind with --http.")] = "127.0.0.1",
    token: Annotated[str | None, typer.Option(
        envvar="GUIAGENT_MCP_TOKEN", help="With --http: clients must send 'Authorization: Bearer "
        "TOKEN' (a random one is made when --host is not loopback).")] = None,
    runs: Annotated[Path, typer.Option(
        help="Folder of run folders: the session's log, run_task/run_skill runs, list_runs.")
    ] = Path("runs"),
    model_url: Annotated[str | None, typer.Option(
        envvar="GUIAGENT_MODEL_URL", help="GLM-4.1V server for ground and run_task "
        "(without it, those tools say so).")] = None,
    model: Annotated[str, typer.Option(envvar="GUIAGENT_MODEL", help="Model name.")] = DEFAULT_MODEL,
    api_key: Annotated[str, typer.Option(envvar="GUIAGENT_API_KEY", help="API key.")] = "EMPTY",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for one model answer.")] = 300.0,
    retries: Annotated[int, typer.Option(help="Retries on connection errors and 5xx.")] = 3,
    protocol: ProtocolOption = None,
    policy: Annotated[Path | None, typer.Option(help="Action policy YAML (docs/safety.md); "
                                                "actions it holds for confirmation are refused "
                                                "unless it allows them.")] = None,
    allow_domain: Annotated[list[str] | None, typer.Option(
        "--allow-domain", help="Only let the browser visit this domain (repeatable).")] = None,
    secret: Annotated[list[str] | None, typer.Option(
        "--secret", help="NAME=VALUE: callers type {{secret:NAME}} (repeatable; "
        "GUIAGENT_SECRET_NAME also works and stays out of `ps`).")] = None,
    secrets_file: Annotated[Path | None, typer.Option(help="File of NAME=VALUE lines.")] = None,
    skills: Annotated[list[Path] | None, typer.Option(
        "--skills", help="Extra folder of skills for run_skill (repeatable).")] = None,
    image_format: Annotated[str, typer.Option(help="Screenshots as jpeg or png.")] = "jpeg",
    max_pixels: Annotated[int | None, typer.Option(
        min=10_000, help="Scale screenshots down to at most this many pixels.")] = None,
) -> None:
    """Serve a browser page (--url) or a desktop (--desktop) as MCP tools for other agents.

    Tools: screenshot, click, double_click, right_click, drag, scroll, type, key, ground,
    run_task, run_skill, list_runs. Every action passes the action guard and the secrets
    layer and is recorded in one run folder under --runs (see docs/mcp.md).
    """
    try:
        from ..toolserver.server import build_server
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "mcp":
            raise
        error(err, "guiagent mcp needs the MCP SDK: pip install 'guiagent[mcp]'")
        raise typer.Exit(2) from None
    from ..toolserver import DriverThread, SessionSettings, ToolSession
    from .desktop_apps import app_specs, desktop_display
    from .run_cmd import build_driver, setup_failed
    from .safety_options import apply_safety

    stack = ExitStack()
    thread = DriverThread()
    stack.callback(thread.shutdown)
    try:
        if image_format not in ("jpeg", "png"):
            raise ConfigError(f"--image-format must be jpeg or png, not {image_format!r}")
        if url and desktop:
            raise ConfigError("give either --url (a browser) or --desktop, not both")
        if desktop:
            display = desktop_display(display, viewport, app_specs(app or [], None, app_timeout),
                                      stack, err)
        elif app:
            raise ConfigError("--app starts desktop applications: add --desktop")
        driver = build_driver(url, desktop or bool(display), display, viewport, headed,
                              backend=input_backend)
        driver, guards, tips = apply_safety(driver, None, policy=policy, allow_domains=allow_domain,
                                            interactive=False, secrets=secret,
                                            secrets_file=secrets_file)
        client = None
        if model_url:
            client = OpenAIChatClient(ModelSettings(base_url=model_url, model=model,
                                                    api_key=api_key, timeout=timeout,
                                                    retries=retries))
        guard = guards[0]
        assert isinstance(guard, ActionGuard)
        adapter, protocol_line = chosen_protocol(protocol, model, tips=tips)
        session = ToolSession(driver, guard, client, SessionSettings(
            runs_root=runs, image_format=image_format, max_image_pixels=max_pixels,
            protocol=adapter, skill_paths=list(skills or [])))
        log = thread.run(session.start)
    except (GuiAgentError, ValueError) as exc:
        stack.close()
        raise typer.Exit(setup_failed(exc)) from None
    except BaseException:
        stack.close()
        raise
    outcome: Outcome = "done"
    failure: BaseException | None = None
    try:
        server = build_server(session, thread, log_level="WARNING")
        err.print(styled(f"session log: {log.dir}\n{protocol_line}" + (
            f", model {model} at {strip_userinfo(model_url)}" if model_url else
            ", no model (ground and run_task need --model-url)")))
        # SIGTERM ends the session like Ctrl-C (uvicorn re-raises it once it has stopped).
        signal.signal(signal.SIGTERM, _interrupt)
        if http is None:
            err.print(styled("serving MCP on stdio"))
            server.run()
        else:
            from ..toolserver.http_auth import serve_http

            if host not in LOOPBACK and not token:
                token = secrets.token_urlsafe(24)
            err.print(styled(f"serving MCP on http://{host}:{http}/mcp"))
            if token:
                err.print(styled(f"clients must send the header: Authorization: Bearer {token}"))
            serve_http(server, host, http, token)
    except KeyboardInterrupt as exc:
        outcome, failure = "interrupted", exc
    finally:
        # A stdio client that closed our stdin signals the process group soon after:
        # finish the log and its report first, undisturbed.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        folder = thread.run(lambda: session.close(outcome, failure))
        stack.close()
        err.print(styled(f"session log: {folder}"))


def register(app: typer.Typer) -> None:
    """Add ``guiagent mcp``."""
    app.command("mcp")(mcp)
