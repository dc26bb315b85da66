"""``guiagent skill ...``: list, check, run skills, and turn a recorded run into one."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer

from ..agent import AgentHooks
from ..errors import ConfigError, GuiAgentError, ModelConnectionError, ModelRequiredError
from ..files import write_atomic
from ..model import DEFAULT_MODEL, ModelSettings, OpenAIChatClient
from ..redaction import strip_userinfo
from ..runlog import StepRecord
from .crash import set_run_dir
from .price_options import PriceIn, PriceOut, tokens_line
from .protocol_options import PromptTemplateOption, ProtocolOption, chosen_protocol
from .safety_options import apply_safety
from .terminal import console as terminal_console
from .terminal import error, styled

err = terminal_console()
out = terminal_console(stderr=False)
EXIT_DONE, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

skill_app = typer.Typer(no_args_is_help=True, help="Reusable procedures: list, check, run, "
                        "and record them from successful runs.")

PathsOpt = Annotated[list[Path] | None, typer.Option(
    "--path", help="Extra folder of skills (searched before ./skills and the bundled ones).")]


class SkillProgress(AgentHooks):
    """One line per step: what was done, and which grounder found the target."""

    def on_step_end(self, step: StepRecord) -> None:
        """Print the finished step."""
        g = step.extra.get("grounding") or {}
        path = step.extra.get("skill_step", "")
        label = step.answer_text.split("\n")[0] if path and step.extra.get("kind") != "agent" else ""
        what = ": ".join(x for x in (label, step.call or "") if x) or "(no action)"
        parts: list[str | tuple[object, str]] = [
            (f"step {step.index}", "bold"), " ",
            (f"skill {path}", "cyan") if path else ("agent", "magenta"), f" {what}"]
        if g:
            parts.append((f" <- {g.get('grounder', '')}: {g.get('how', '')}", "dim"))
        if step.error:
            parts.append((f" {step.error.type}: {step.error.message}", "red"))
        err.print(styled(*parts))


@skill_app.command("list")
def list_cmd(path: PathsOpt = None) -> None:
    """List the skills on the search path: --path folders, ./skills, the bundled ones."""
    from ..skills import list_skills

    for file, skill in list_skills(path):
        if isinstance(skill, Exception):
            out.print(styled((file.stem, "bold"), " ", ("(cannot load)", "red"),
                             f"\n    {skill}\n"))
            continue
        params = ", ".join(n + ("" if p.required else "?") for n, p in skill.parameters.items())
        out.print(styled((skill.name, "bold"), f" ({params})  ", (str(file), "dim"),
                         f"\n    {skill.description}\n"))


@skill_app.command("check")
def check_cmd(files: Annotated[list[Path], typer.Argument(help="Skill files to validate.")]) -> None:
    """Validate skill files; errors name the file, line and field."""
    from ..skills import load_skill

    failed = False
    for file in files:
        try:
            skill = load_skill(file)
            out.print(styled(f"{file}: ok ({skill.name}, {len(skill.steps)} steps)"))
        except GuiAgentError as exc:
            error(err, exc)
            failed = True
    raise typer.Exit(EXIT_USAGE if failed else EXIT_DONE)


@skill_app.command("run")
def run_cmd(
    skill: Annotated[str, typer.Argument(help="A skill name (see `skill list`) or a .yaml file.")],
    url: Annotated[str | None, typer.Option(help="Page to open (browser run).")] = None,
    desktop: Annotated[bool, typer.Option("--desktop", help="Drive the X11 desktop.")] = False,
    display: Annotated[str | None, typer.Option(help="X display for --desktop, e.g. :99.")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="NAME=VALUE (or NAME=@FILE); repeat for each parameter.")] = None,
    params_file: Annotated[Path | None, typer.Option(
        help="JSON object of parameters (or, for a skill with one object parameter, its value).")
    ] = None,
    model_url: Annotated[str | None, typer.Option(
        envvar="GUIAGENT_MODEL_URL", help="GLM-4.1V server; without it, steps that need the "
        "model fail.")] = None,
    model: Annotated[str, typer.Option(envvar="GUIAGENT_MODEL", help="Model name.")] = DEFAULT_MODEL,
    api_key: Annotated[str, typer.Option(envvar="GUIAGENT_API_KEY", help="API key.")] = "EMPTY",
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="The run directory to write (new or empty).")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Let --out replace the run already in that folder.")] = False,
    viewport: Annotated[str, typer.Option(help="Browser viewport WxH.")] = "1280x720",
    headed: Annotated[bool, typer.Option("--headed", help="Show the browser window.")] = False,
    retries: Annotated[int, typer.Option(help="Model retries on connection errors.")] = 2,
    input_backend: Annotated[str, typer.Option(
        "--input", help="Desktop input: xdotool (default; no dropped keys in LibreOffice) or "
        "pyautogui.")] = "xdotool",
    app: Annotated[list[str] | None, typer.Option(
        "--app", help="Command to start on the desktop instead of the skill's own app "
        "(repeatable); the skill starts once its window is mapped and idle.")] = None,
    app_timeout: Annotated[float | None, typer.Option(
        min=1, help="Seconds to wait for the app's window (default: the skill's, else 180).")
    ] = None,
    path: PathsOpt = None,
    policy: Annotated[Path | None, typer.Option(
        help="Action policy YAML for agent: steps (docs/safety.md).")] = None,
    allow_domain: Annotated[list[str] | None, typer.Option(
        "--allow-domain", help="Only let the browser visit this domain (repeatable).")] = None,
    interactive: Annotated[bool | None, typer.Option(
        "--interactive/--unattended", help="Ask before guarded actions of agent: steps, or "
        "refuse them [default: ask when stdin is a terminal].", show_default=False)] = None,
    upload_file: Annotated[list[Path] | None, typer.Option(
        "--upload-file", help="A file upload: steps (and the page's file picker) may use "
        "(repeatable; nothing else can be chosen).")] = None,
    show_thinking: Annotated[bool, typer.Option(
        "--show-thinking", help="Print the model's thinking (agent: steps) as it streams.")] = False,
    protocol: ProtocolOption = None,
    price_in: PriceIn = None,
    price_out: PriceOut = None,
    prompt_template: PromptTemplateOption = None,
) -> None:
    """Run a skill; DOM and OCR ground its targets, the model fills the gaps if given.

    The model's actions in ``agent:`` steps pass the same action guard as
    ``guiagent run`` (--policy, --interactive/--unattended); --allow-domain holds
    for the whole run, in the browser's network.
    """
    from ..skills import SkillRunConfig, SkillRunner, find_skill
    from ..skills.params import parse_assignments, read_params_file
    from .desktop_apps import app_specs, desktop_display
    from .run_cmd import build_driver, default_run_dir, setup_failed
    from .thinking import thinking_hooks

    stack = ExitStack()
    try:
        run_dir = out_dir or default_run_dir()
        set_run_dir(run_dir)
        loaded = find_skill(skill, path)
        values: dict[str, Any] = read_params_file(params_file, loaded) if params_file else {}
        values.update(parse_assignments(param or []))
        client = None
        if model_url:
            client = OpenAIChatClient(ModelSettings(base_url=model_url, model=model,
                                                    api_key=api_key, retries=retries,
                                                    price_in=price_in, price_out=price_out))
        from ..skills import resolve_params

        resolve_params(loaded, values)  # report parameter errors before anything starts
        if desktop:
            display = desktop_display(display, viewport,
                                      app_specs(app or [], loaded.app, app_timeout), stack, err)
        elif app:
            raise ConfigError("--app starts desktop applications: add --desktop")
        driver = build_driver(url, desktop, display, viewport, headed, backend=input_backend,
                              upload_files=list(upload_file or []))
        driver, guards, tips = apply_safety(driver, None, policy=policy,
                                            allow_domains=allow_domain, interactive=interactive)
        adapter, protocol_line = chosen_protocol(protocol, model, tips=tips,
                                                  prompt_template=prompt_template)
        runner = SkillRunner(driver, client, protocol=adapter,
                             config=SkillRunConfig(run_dir=run_dir, overwrite=overwrite),
                             hooks=[*thinking_hooks(show_thinking, err), SkillProgress(),
                                    *guards])
    except (GuiAgentError, ValueError) as exc:
        stack.close()
        raise typer.Exit(setup_failed(exc)) from None
    except BaseException:
        stack.close()
        raise
    err.print(styled(f"skill: {loaded.name} ({loaded.source})" + (
        f"\nmodel: {model} at {strip_userinfo(model_url)}\n{protocol_line}" if model_url
        else "\nmodel: none")))
    try:
        result = runner.run(loaded, values)
    except GuiAgentError as exc:  # a folder that cannot take the run, say
        error(err, exc)
        raise typer.Exit(EXIT_USAGE) from None
    finally:
        driver.close()
        stack.close()
    r = result.record
    err.print(styled("outcome: ", (result.outcome, "bold"),
                     f" after {r.totals.steps} step(s), {r.totals.seconds:.1f}s, {tokens_line(r)}"))
    err.print(styled(f"run log: {result.run_dir}"))
    if result.error is not None:
        error(err, r.error.message if r.error else "")
    if isinstance(result.error, ModelRequiredError | ModelConnectionError | ConfigError):
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_DONE if result.outcome == "done" else EXIT_FAILED)


@skill_app.command("from-run")
def from_run_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (from `guiagent run`).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The skill file to write.")],
    name: Annotated[str | None, typer.Option(help="Skill name (default: the file name).")] = None,
    url: Annotated[str | None, typer.Option(
        help="Load this URL instead of the recorded one to read the page's labels.")] = None,
) -> None:
    """Turn a successful run into a skill (clicks become described targets).

    Typed text that appears in the run's task becomes a parameter.
    """
    from ..skills.from_run import skill_from_run

    try:
        text = skill_from_run(run_dir, name=name or output.stem, url=url)
    except GuiAgentError as exc:
        error(err, exc)
        raise typer.Exit(EXIT_USAGE) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, text)
    out.print(styled(f"wrote {output}"))


def register(app: typer.Typer) -> None:
    """Add the ``skill`` command group to the CLI."""
    app.add_typer(skill_app, name="skill")
