"""``guiagent serve MODEL``: start a model server with the family's flags."""

from __future__ import annotations

import shlex
import signal
from typing import Annotated, Any

import typer

from ..serve.command import BACKENDS, build_command, missing
from ..serve.families import FAMILIES, facts_for, family_for_model
from .terminal import console as terminal_console
from .terminal import error, styled

err = terminal_console()
out = terminal_console(stderr=False)

EXIT_STOPPED, EXIT_FAILED, EXIT_CANNOT = 0, 1, 2


def serve(
    model: Annotated[str, typer.Argument(help="Model id or path, e.g. zai-org/GLM-4.1V-9B-Thinking.")],
    extra: Annotated[list[str] | None, typer.Argument(
        help="Extra server arguments, after --; they replace the flags built here.",
        show_default=False)] = None,
    backend: Annotated[str, typer.Option(help="vllm, sglang or transformers.")] = "vllm",
    protocol: Annotated[str | None, typer.Option(
        help=f"Family whose flags to use: {', '.join(FAMILIES)} (default: from the model name).",
        show_default=False)] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    tp: Annotated[int, typer.Option("--tp", min=1, help="Tensor-parallel GPUs.")] = 1,
    wait: Annotated[float, typer.Option(
        min=1, help="Seconds to wait for the server to become healthy.")] = 1800.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the command only.")] = False,
) -> None:
    """Serve MODEL with its family's flags; print the URL and the `guiagent run` line to use."""
    if backend not in BACKENDS:
        error(err, f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        raise typer.Exit(EXIT_CANNOT)
    try:
        family = protocol or family_for_model(model)
        facts = facts_for(family)
    except ValueError as exc:
        error(err, exc)
        raise typer.Exit(EXIT_CANNOT) from None
    command = build_command(model, facts, backend, host=host, port=port, tp=tp,
                            extra=list(extra or []))
    line = shlex.join(command.argv)
    err.print(styled(f"protocol: {family}" + ("" if protocol else " (from the model name)")))
    if dry_run:
        out.print(styled(line))
        raise typer.Exit(0)
    why = missing(command)
    if why:
        error(err, f"cannot start the server here: {why}")
        err.print(styled("The command to run where it can start:"))
        out.print(styled(line))
        raise typer.Exit(EXIT_CANNOT)
    host = _given(extra, "--host") or host
    port = int(_given(extra, "--port") or port)
    served = _given(extra, "--served-model-name") or model
    raise typer.Exit(_run(command.argv, line, served, family, host, port, wait))


def _given(extra: list[str] | None, flag: str) -> str | None:
    """The value the user's extra arguments give ``flag`` (``--flag V`` or ``--flag=V``)."""
    args = list(extra or [])
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def _run(argv: list[str], line: str, model: str, family: str, host: str, port: int,
         wait: float) -> int:
    from ..serve import launch

    err.print(styled(("starting: ", "bold"), line))
    proc = launch.start(argv)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a name
        origin = f"http://[{reach}]:{port}" if ":" in reach else f"http://{reach}:{port}"
        why = launch.wait_ready(proc, origin, wait)
        if why:
            error(err, why)
            return EXIT_FAILED
        url = f"{origin}/v1"
        out.print(styled(("serving ", "green"), f"{model} at {url}"))
        out.print(styled("run with:\n  ", shlex.join(
            ["guiagent", "run", "TASK", "--url", "URL", "--model-url", url, "--model", model,
             "--protocol", family])))
        out.print(styled(("check it with:\n  ", ""), shlex.join(
            ["guiagent", "doctor", "--model-url", url, "--model", model, "--protocol", family])))
        proc.wait()
        error(err, f"the server exited with status {proc.returncode}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        err.print(styled("stopping the server"))
        return EXIT_STOPPED
    finally:
        launch.stop(proc)
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the CLI."""
    app.command("serve")(serve)
