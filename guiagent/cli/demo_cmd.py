"""``guiagent demo``: the first thing to run after installing, no model server needed.

It starts the web sandbox, fills its contact form with the bundled
``fill_web_form`` skill in headless Chromium (every field found by its label
through the DOM, every action a real mouse or keyboard event), checks that the
sandbox recorded the submission, and writes the replay log and its HTML report.

``guiagent demo --agent`` shows the model-driven loop instead, on a machine
without a GPU: a local stand-in server answers in GLM-4.1V's format (scripted
from the page's measured element positions, not a model), and the agent talks
to it through the real OpenAI client, parses, and clicks and types for real.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ..errors import GuiAgentError
from ..runlog import RunRecord
from .terminal import error, styled

err = Console(stderr=True, highlight=False, soft_wrap=True)
EXIT_OK, EXIT_FAILED = 0, 1

DEMO_RECORD: dict[str, Any] = {
    "Full name": "Ada Lovelace",
    "Email address": "ada@example.org",
    "Topic": "Billing",
    "Preferred date": "2026-12-24",
    "Message": "Hello from the guiagent demo: a skill filled this form, without a model.",
    "Preferred contact": "Email",
    "Subscribe to newsletter": True,
    "I accept the terms": True,
}
#: How each record label is stored by the sandbox (its HTML field names).
SANDBOX_FIELDS = {"Full name": "full_name", "Email address": "email", "Topic": "topic",
                  "Preferred date": "preferred_date", "Message": "message",
                  "Preferred contact": "preferred_contact",
                  "Subscribe to newsletter": "newsletter", "I accept the terms": "terms"}


def demo(
    out: Annotated[Path | None, typer.Option(help="Run directory (default runs/demo-<time>).")
                   ] = None,
    headed: Annotated[bool, typer.Option("--headed", help="Show the browser window.")] = False,
    agent: Annotated[bool, typer.Option(
        "--agent", help="Run the model-driven agent loop against a local stand-in server that "
                        "answers in GLM-4.1V's format (scripted, no GPU needed).")] = False,
) -> None:
    """Fill the sandbox contact form with a bundled skill (no model needed) and show the log."""
    if agent:
        _agent_demo(out or Path("runs") / time.strftime("demo-agent-%Y%m%d-%H%M%S"), headed)
        return
    from ..drivers.playwright import PlaywrightDriver
    from ..sandboxes.web import WebSandbox
    from ..skills import SkillRunConfig, SkillRunner, find_skill
    from .skill_cmd import SkillProgress

    run_dir = out or Path("runs") / time.strftime("demo-%Y%m%d-%H%M%S")
    skill = find_skill("fill_web_form")
    err.print("guiagent demo: the bundled skill [bold]fill_web_form[/bold] fills the sandbox "
              "contact form in headless Chromium, without a model server.")
    with WebSandbox() as sandbox:
        url = sandbox.url + "/contact"
        err.print(f"sandbox form: {url}")
        driver = PlaywrightDriver(url, headless=not headed)
        runner = SkillRunner(driver, None, config=SkillRunConfig(run_dir=run_dir),
                             hooks=[SkillProgress()])
        try:
            result = runner.run(skill, {"record": DEMO_RECORD, "submit": "Send message",
                                        "expect": "Thank you"})
        except GuiAgentError as exc:
            error(err, exc)
            raise typer.Exit(EXIT_FAILED) from None
        finally:
            driver.close()
        rows = sandbox.submissions("contact")
    wrong = [label for label, name in SANDBOX_FIELDS.items()
             if rows and rows[-1]["data"].get(name) != DEMO_RECORD[label]]
    _conclude(result.record, result.run_dir, rows, wrong, finished=result.outcome == "done",
              unfinished="the skill did not finish",
              success="the form was filled and sent; open the report to see every step")


def _agent_demo(run_dir: Path, headed: bool) -> None:
    """The agent loop end to end, with a scripted GLM-format server standing in for the model."""
    from ..agent import Agent, AgentConfig
    from ..drivers.playwright import PlaywrightDriver
    from ..model import ModelSettings, OpenAIChatClient
    from ..sandboxes.web import WebSandbox
    from ..testing import GlmModelServer, plan_answers
    from ..testing.contact import CONTACT_PLAN, CONTACT_TASK, contact_row_mismatches
    from .progress import ConsoleProgress

    err.print("guiagent demo --agent: the agent loop fills the sandbox contact form. The model "
              "is a [bold]scripted stand-in[/bold] that answers in GLM-4.1V's format; for the "
              "real model, serve it with vLLM and use `guiagent run --model-url`.")
    # The script is measured on a copy of the sandbox, so the agent's submission is the only one.
    with WebSandbox() as scratch:
        answers = plan_answers(scratch.url + "/contact", CONTACT_PLAN)
    with WebSandbox() as sandbox:
        url = sandbox.url + "/contact"
        err.print(f"sandbox form: {url}")
        with GlmModelServer(answers) as server:
            err.print(f"stand-in model server: {server.base_url} ({len(answers)} scripted answers)")
            err.print(f"task: {CONTACT_TASK}")
            model = OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0))
            with PlaywrightDriver(url, headless=not headed) as driver:
                result = Agent(driver, model, config=AgentConfig(run_dir=run_dir, max_steps=30),
                               hooks=[ConsoleProgress(err)]).run(CONTACT_TASK)
        rows = sandbox.submissions("contact")
    _conclude(result.record, result.run_dir, rows,
              contact_row_mismatches(rows[-1]) if rows else [], finished=result.succeeded,
              unfinished="the agent did not report the task done",
              success="the agent filled and sent the form; open the report to see every step, "
                      "with the model's answers and the executed points")


def _conclude(record: RunRecord, run_dir: Path, rows: list[dict[str, Any]], wrong: list[str], *,
              finished: bool, unfinished: str, success: str) -> None:
    """Print the outcome, the log and the recorded submission; exit 1 unless all is right."""
    err.print(f"outcome: [bold]{record.outcome}[/bold] after {record.totals.steps} step(s), "
              f"{record.totals.seconds:.1f}s")
    if record.error is not None:
        error(err, record.error.message)
    typer.echo(f"run log: {run_dir}")
    report = _report(run_dir)
    if report is not None:
        typer.echo(f"report: {report}")
    if not rows:
        err.print("[red]the sandbox recorded no submission[/red]")
        raise typer.Exit(EXIT_FAILED)
    typer.echo("submission recorded by the sandbox:")
    typer.echo(json.dumps(rows[-1], indent=2, ensure_ascii=False))
    if wrong or not finished:
        err.print(f"[red]the submission differs in: {', '.join(wrong)}[/red]" if wrong
                  else f"[red]{unfinished}[/red]")
        raise typer.Exit(EXIT_FAILED)
    err.print(f"[green]{success}[/green]")


def _report(run_dir: Path) -> Path | None:
    """Write report.html with the replay package when it is installed."""
    try:
        from ..replay import write_report
    except ImportError:
        return None
    try:
        return write_report(run_dir)
    except GuiAgentError as exc:
        err.print(styled(("no report:", "yellow"), " ", str(exc)))
        return None


def register(app: typer.Typer) -> None:
    """Add ``guiagent demo``."""
    app.command("demo")(demo)
