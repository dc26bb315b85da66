"""``guiagent run``: one task, one driver, one model, one run directory."""

from __future__ import annotations

import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from ..agent import Agent, AgentConfig, RunResult
from ..errors import ConfigError, DriverError, GuiAgentError, ModelConnectionError
from ..geometry import Size
from ..model import DEFAULT_BASE_URL, DEFAULT_MODEL, ModelSettings, OpenAIChatClient
from ..redaction import strip_userinfo
from ..secrets import Secrets
from .crash import set_run_dir
from .desktop_apps import app_specs, desktop_display
from .page_options import http_credentials, upload_paths
from .price_options import PriceIn, PriceOut, tokens_line
from .progress import ConsoleProgress
from .protocol_options import (
    PromptTemplateOption,
    ProtocolOption,
    ThinkingOption,
    chosen_protocol,
    with_thinking,
)
from .safety_options import apply_safety
from .terminal import console as terminal_console
from .terminal import error, printable, styled
from .thinking import thinking_hooks

err = terminal_console()

EXIT_DONE, EXIT_NOT_DONE, EXIT_USAGE = 0, 1, 2


def default_run_dir() -> Path:
    """``runs/<time>-<random>``: fixed before the run so a crash report can go there."""
    return Path("runs") / (time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6])


def setup_failed(exc: BaseException) -> int:
    """Print why the run could not start; exit 1 if the environment failed, 2 for usage."""
    error(err, exc)
    if isinstance(exc, DriverError) and not isinstance(exc, ConfigError):
        err.print("Nothing was run. Check that the app starts on this display (try it in "
                  "`guiagent sandbox desktop -- COMMAND`), or give it more time.")
        return EXIT_NOT_DONE
    return EXIT_USAGE


def build_driver(url: str | None, desktop: bool, display: str | None, viewport: str,
                 headed: bool, *, backend: str = "pyautogui",
                 upload_files: list[Path] | None = None,
                 http_credentials: dict[str, str] | None = None,
                 device_scale_factor: float = 1.0):  # noqa: ANN201 - a Driver
    """The driver the options ask for (``display`` must be set for a desktop driver).

    ``upload_files`` are the only files a browser's file picker offers;
    ``http_credentials`` answer HTTP auth (see :mod:`.page_options`).
    ``device_scale_factor`` renders the page as on a HiDPI screen; the model then
    sees the screenshot in device pixels (2560x1440 for 1280x720 at 2).
    """
    if device_scale_factor != 1.0 and desktop:
        raise ConfigError("--device-scale-factor is for browser runs; a desktop's scale is "
                          "its display's")
    if desktop:
        try:
            from ..drivers.desktop import DesktopDriver
        except ImportError as exc:
            raise ConfigError(f"the desktop driver is unavailable ({exc}); "
                              "pip install 'guiagent[desktop]'") from exc
        return DesktopDriver(display=display, backend=backend)  # type: ignore[arg-type]
    if not url:
        raise ConfigError("give --url URL for a browser run, or --desktop for the X11 desktop")
    from ..drivers.playwright import PlaywrightDriver

    try:
        size = Size.parse(viewport)
    except ValueError as exc:
        raise ConfigError(f"--viewport {viewport!r} must look like 1280x720") from exc
    return PlaywrightDriver(url, viewport=size, headless=not headed, upload_files=upload_files,
                            http_credentials=http_credentials,
                            device_scale_factor=device_scale_factor,
                            screenshot_scale="device" if device_scale_factor != 1.0 else "css")


def report(result: RunResult) -> int:
    """Print the outcome and return the exit status.

    Everything shown comes from the (redacted) run record and is printed as text.
    """
    r = result.record
    err.print(styled("outcome: ", (result.outcome, "bold"),
                     f" after {r.totals.steps} step(s), {r.totals.seconds:.1f}s, {tokens_line(r)}"))
    if r.answer:
        typer.echo(printable(r.answer))
    err.print(styled(f"run log: {result.run_dir}"))
    try:
        from ..replay import write_report

        err.print(styled(f"report: {write_report(result.run_dir)}"))
    except GuiAgentError as exc:  # the log itself is complete; the report is a convenience
        err.print(styled(("no report:", "yellow"), " ", str(exc)))
    message = r.error.message if r.error is not None else ""
    if isinstance(result.error, ModelConnectionError | ConfigError):
        error(err, message)
        return EXIT_USAGE
    if r.error is not None:
        error(err, f"{r.error.type}: {message}")
    return EXIT_DONE if result.succeeded else EXIT_NOT_DONE


def run(
    task: Annotated[str, typer.Argument(help="What the agent should do, in plain words.")],
    url: Annotated[str | None, typer.Option(help="Page to open (browser run).")] = None,
    desktop: Annotated[bool, typer.Option("--desktop", help="Drive the X11 desktop.")] = False,
    display: Annotated[str | None, typer.Option(
        help="X display for --desktop, e.g. :99 [default: a fresh sandbox desktop].")] = None,
    app: Annotated[list[str] | None, typer.Option(
        "--app", help="Command to start on the desktop (repeatable); the run starts once its "
        "window is mapped and idle.")] = None,
    app_timeout: Annotated[float, typer.Option(
        min=1, help="Seconds to wait for each --app window.")] = 180.0,
    input_backend: Annotated[str, typer.Option(
        "--input", help="Desktop input: pyautogui or xdotool.")] = "pyautogui",
    model_url: Annotated[str, typer.Option(envvar="GUIAGENT_MODEL_URL",
                                           help="OpenAI-compatible base URL.")] = DEFAULT_BASE_URL,
    model: Annotated[str, typer.Option(envvar="GUIAGENT_MODEL", help="Model name.")] = DEFAULT_MODEL,
    api_key: Annotated[str, typer.Option(envvar="GUIAGENT_API_KEY", help="API key.")] = "EMPTY",
    max_steps: Annotated[int, typer.Option(min=1, help="Stop after this many steps.")] = 30,
    max_seconds: Annotated[float | None, typer.Option(help="Stop after this much time.")] = None,
    out: Annotated[Path | None, typer.Option(
        help="The run directory to write (new or empty).")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Let --out replace the run already in that folder.")] = False,
    viewport: Annotated[str, typer.Option(
        help="Browser viewport, or sandbox desktop size, WxH.")] = "1280x720",
    headed: Annotated[bool, typer.Option("--headed", help="Show the browser window.")] = False,
    image_format: Annotated[str, typer.Option(
        help="How screenshots are sent: jpeg (smaller, faster) or png.")] = "jpeg",
    max_pixels: Annotated[int | None, typer.Option(
        min=10_000, help="Scale screenshots down to at most this many pixels before sending "
        "(fewer visual tokens; clicks stay exact).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for one model answer.")] = 300.0,
    retries: Annotated[int, typer.Option(help="Retries on connection errors and 5xx.")] = 3,
    tips: Annotated[str | None, typer.Option(help="Extra tips for the model's prompt.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Action policy YAML (docs/safety.md).")] = None,
    allow_domain: Annotated[list[str] | None, typer.Option(
        "--allow-domain", help="Only let the browser visit this domain (repeatable).")] = None,
    interactive: Annotated[bool | None, typer.Option(
        "--interactive/--unattended", help="Ask before guarded actions, or refuse them "
        "[default: ask when stdin is a terminal].", show_default=False)] = None,
    secret: Annotated[list[str] | None, typer.Option(
        "--secret", help="NAME=VALUE: the model types {{secret:NAME}} (repeatable; "
        "GUIAGENT_SECRET_NAME also works and stays out of `ps`).")] = None,
    secrets_file: Annotated[Path | None, typer.Option(help="File of NAME=VALUE lines.")] = None,
    upload_file: Annotated[list[Path] | None, typer.Option(
        "--upload-file", help="A file the page may receive through its file picker "
        "(repeatable; nothing else can be chosen).")] = None,
    http_auth: Annotated[str | None, typer.Option(
        help="Answer HTTP auth with two secrets: USER_SECRET:PASSWORD_SECRET "
        "[ORIGIN=... to allow another origin than --url's].")] = None,
    stuck_warn: Annotated[int, typer.Option(min=1, help="Tell the model after this many "
                                            "identical actions on an unchanged screen.")] = 3,
    stuck_stop: Annotated[int, typer.Option(min=1, help="Stop the run (outcome stuck) at "
                                            "this many.")] = 5,
    thinking_tokens: Annotated[int | None, typer.Option(
        min=1, help="Token budget of a step's first generation [default: 8192].")] = None,
    answer_tokens: Annotated[int, typer.Option(
        min=1, help="Token budget of the answer after a thought cut off by the budget.")] = 1024,
    show_thinking: Annotated[bool, typer.Option(
        "--show-thinking", help="Print the model's thinking as it streams.")] = False,
    live: Annotated[bool, typer.Option(
        "--live", help="Serve the live UI for this run (watch, pause, approve, take over) and "
        "print its URL; the guard's questions are answered there.")] = False,
    live_port: Annotated[int, typer.Option(help="Port of --live's UI (0: any free port).")] = 0,
    live_host: Annotated[str, typer.Option(
        help="Address of --live's UI; anything but 127.0.0.1/::1 requires the printed token.")
    ] = "127.0.0.1",
    protocol: ProtocolOption = None,
    thinking: ThinkingOption = None,
    price_in: PriceIn = None,
    price_out: PriceOut = None,
    prompt_template: PromptTemplateOption = None,
    device_scale_factor: Annotated[float, typer.Option(
        min=0.5, max=4.0, help="Browser: device pixels per CSS pixel (HiDPI pages, e.g. 2); the "
        "model sees the screenshot in device pixels (--max-pixels still applies).")] = 1.0,
) -> None:
    """Run one task with the model driving a browser (--url) or the desktop (--desktop)."""
    stack = ExitStack()
    try:
        settings = ModelSettings(base_url=model_url, model=model, api_key=api_key,
                                 timeout=timeout, retries=retries,
                                 thinking_max_tokens=thinking_tokens, answer_max_tokens=answer_tokens,
                                 price_in=price_in, price_out=price_out)
        client = OpenAIChatClient(settings)
        chosen_protocol(protocol, model, prompt_template=prompt_template)  # fail before starting
        run_dir = out or default_run_dir()
        set_run_dir(run_dir)
        if desktop:
            display = desktop_display(display, viewport, app_specs(app or [], None, app_timeout),
                                      stack, err)
        elif app:
            raise ConfigError("--app starts desktop applications: add --desktop")
        creds = http_credentials(http_auth, url, Secrets.from_sources(secret or [], secrets_file))
        driver = build_driver(url, desktop, display, viewport, headed, backend=input_backend,
                              upload_files=upload_paths(upload_file), http_credentials=creds,
                              device_scale_factor=device_scale_factor)
        driver, guards, tips = apply_safety(driver, tips, policy=policy, allow_domains=allow_domain,
                                            interactive=interactive, secrets=secret,
                                            secrets_file=secrets_file)
        if image_format not in ("jpeg", "png"):
            raise ConfigError(f"--image-format must be jpeg or png, not {image_format!r}")
        config = AgentConfig(max_steps=max_steps, max_seconds=max_seconds, run_dir=run_dir,
                             overwrite=overwrite,
                             image_format=image_format, max_image_pixels=max_pixels,
                             stuck_warn_after=min(stuck_warn, stuck_stop), stuck_stop_after=stuck_stop)
        adapter, protocol_line = chosen_protocol(protocol, model, tips=tips,
                                                  prompt_template=prompt_template)
        adapter = with_thinking(adapter, thinking)
        view = live_view(live, run_dir, task, live_host, live_port, stack)
        extra_hooks = view.start(guards) if view else []
    except (GuiAgentError, ValueError, OSError) as exc:
        stack.close()
        raise typer.Exit(setup_failed(exc)) from None
    except BaseException:
        stack.close()
        raise
    agent = Agent(driver, client, protocol=adapter, config=config,
                  hooks=[*thinking_hooks(show_thinking, err), ConsoleProgress(err), *extra_hooks,
                         *guards])
    if view:
        view.attach(agent)
    err.print(styled(f"task: {task}\nmodel: {model} at {strip_userinfo(model_url)}\n"
                     f"{protocol_line}"))
    result = None
    try:
        result = agent.run(task)
    except GuiAgentError as exc:  # a folder that cannot take the run, say
        error(err, exc)
        raise typer.Exit(EXIT_USAGE) from None
    finally:
        driver.close()
        if view:
            view.finish(result)
        stack.close()
    raise typer.Exit(report(result))


def live_view(live: bool, run_dir: Path, task: str, host: str, port: int, stack: ExitStack):  # noqa: ANN201
    """``--live``: the UI for this run (None without the option); ``stack`` stops it on failure."""
    if not live:
        return None
    from .ui_cmd import LiveView

    view = LiveView(run_dir, task, host, port)
    stack.callback(view.server.stop)
    return view
