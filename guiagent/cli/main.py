"""The ``guiagent`` command line."""

from __future__ import annotations

import importlib

import typer

from .run_cmd import run

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Let GLM-4.1V operate browsers and desktops, with replay logs and skills.")
app.command("run")(run)

sandbox_app = typer.Typer(no_args_is_help=True, help="Start a sandbox to run agents in safely.")
app.add_typer(sandbox_app, name="sandbox")

# Each feature registers its own commands; a missing module (optional part) is skipped.
for module, target in (("sandbox_web", sandbox_app), ("sandbox_desktop", sandbox_app),
                       ("view_cmd", app), ("replay_cmd", app), ("skill_cmd", app),
                       ("demo_cmd", app), ("eval_cmd", app), ("mcp_cmd", app),
                       ("serve_cmd", app), ("ui_cmd", app), ("doctor_cmd", app),
                       ("prompt_cmd", app)):
    try:
        mod = importlib.import_module(f"guiagent.cli.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"guiagent.cli.{module}":
            raise
        continue
    mod.register(target)


def main() -> None:
    """The console entry point: the CLI, with unexpected errors reported, not dumped."""
    from .crash import guarded

    app.pretty_exceptions_enable = False
    guarded(app)


if __name__ == "__main__":  # pragma: no cover
    main()
