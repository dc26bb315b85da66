"""``guiagent replay``: re-execute a recorded run without the model, or with its answers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError, DriverError, LogFormatError
from ..replay.diff import DEFAULT_THRESHOLD
from .protocol_options import ProtocolOption
from .terminal import console as terminal_console
from .terminal import error, styled

err = terminal_console()
EXIT_REPRODUCED, EXIT_DIVERGED, EXIT_USAGE = 0, 1, 2


def replay(
    run_dir: Annotated[Path, typer.Argument(help="The recorded run directory.")],
    url: Annotated[str | None, typer.Option(help="Start page instead of the recorded one.")] = None,
    desktop: Annotated[bool, typer.Option("--desktop", help="Replay on the X11 desktop.")] = False,
    display: Annotated[str | None, typer.Option(help="X display for --desktop, e.g. :99.")] = None,
    threshold: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Largest share of the screen that may differ from the recording "
                               "before the replay stops (0.02 = 2%).")] = DEFAULT_THRESHOLD,
    out: Annotated[Path | None, typer.Option(help="The replay's run directory.")] = None,
    model_from_log: Annotated[bool, typer.Option(
        "--model-from-log", help="Run the whole agent loop again, answering the model from the "
                                 "log (an offline regression test).")] = False,
    headed: Annotated[bool, typer.Option("--headed", help="Show the browser window.")] = False,
    view: Annotated[bool, typer.Option("--view", help="Write the replay's report.html too.")] = False,
    secret: Annotated[list[str] | None, typer.Option(
        help="NAME=VALUE of a secret the recorded run typed (repeatable).")] = None,
    secrets_file: Annotated[Path | None, typer.Option(
        help="File of NAME=VALUE lines; GUIAGENT_SECRET_<NAME> variables are read too.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Action policy YAML (docs/safety.md).")] = None,
    allow_domain: Annotated[list[str] | None, typer.Option(
        "--allow-domain", help="Only let the browser visit this domain (repeatable; the "
        "recording's own allowed domains always apply).")] = None,
    interactive: Annotated[bool | None, typer.Option(
        "--interactive/--unattended", help="Ask before guarded actions, or refuse them "
        "[default: ask when stdin is a terminal].", show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Execute steps that have no recorded screenshot to compare with "
        "(blind).")] = False,
    protocol: ProtocolOption = None,
) -> None:
    """Replay RUN_DIR: exit 0 if reproduced, 1 if it diverged, 2 on usage errors.

    A run folder may come from someone else: every action passes the action guard,
    a step without a recorded screenshot is not executed unless --force, and a
    desktop replay drives only the display given with --display.
    """
    from ..replay import ActionReplayer, driver_for_run, replay_with_model_log, write_report
    from ..replay.safety import replay_guard
    from ..runlog import read_run
    from ..secrets import Secrets
    from .safety_options import confirm_from_option, policy_from_options

    driver = None
    try:
        if protocol is not None and not model_from_log:
            raise ConfigError("--protocol applies to --model-from-log (an action replay asks "
                              "no model)")
        if protocol is not None:
            from ..protocols.registry import make_protocol

            make_protocol(protocol)  # a bad name fails before a browser starts
        record, _steps = read_run(run_dir)
        secrets = Secrets.from_sources(secret or (), secrets_file)
        guard = replay_guard(record, policy_from_options(policy, allow_domain),
                             confirm=confirm_from_option(interactive))
        driver = driver_for_run(record, url=url, desktop=desktop, display=display,
                                headless=not headed, secrets=secrets)
        if model_from_log:
            report = replay_with_model_log(run_dir, driver, threshold=threshold, out=out,
                                           guard=guard, force=force, protocol=protocol)
        else:
            report = ActionReplayer(run_dir, driver, threshold=threshold, out=out, guard=guard,
                                    force=force).run()
    except (LogFormatError, ConfigError, DriverError) as exc:
        error(err, exc)
        raise typer.Exit(EXIT_USAGE) from None
    finally:
        if driver is not None:
            driver.close()
    err.print(styled((report.summary, "green" if report.reproduced else "red")))
    for mismatch in report.mismatches:
        err.print(styled(f"  step {mismatch.step}: {mismatch.kind}: {mismatch.detail}"))
    comparison = report.comparison(report.diverged_at) if report.diverged_at else None
    for name, rel in (comparison.evidence.items() if comparison else ()):
        err.print(styled(f"  {name}: {Path(report.run_dir) / rel}"))
    err.print(styled(f"replay log: {report.run_dir}"))
    if view:
        err.print(styled(f"report: {write_report(report.run_dir)}"))
    raise typer.Exit(EXIT_REPRODUCED if report.reproduced else EXIT_DIVERGED)


def register(app: typer.Typer) -> None:
    """Add ``replay`` to the top-level command line."""
    app.command("replay")(replay)
