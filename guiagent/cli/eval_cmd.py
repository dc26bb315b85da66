"""``guiagent eval SUITE ...``: run a task suite, score it, write results; ``guiagent eval compare A B``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from ..errors import ConfigError, GuiAgentError
from ..model import DEFAULT_BASE_URL, DEFAULT_MODEL, ModelSettings
from ..redaction import strip_userinfo
from .price_options import PriceIn, PriceOut, usd
from .protocol_options import (
    PromptTemplateOption,
    ProtocolOption,
    chosen_protocol,
    template_text,
)
from .terminal import styled

err = Console(stderr=True, highlight=False, soft_wrap=True)
EXIT_RAN, EXIT_USAGE, EXIT_NOTHING_MEASURED = 0, 2, 3


class _DefaultRun(TyperGroup):
    """``guiagent eval web ...`` means ``guiagent eval run web ...``; ``compare`` stays a command."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args.insert(0, "run")
        return super().resolve_command(ctx, args)


eval_app = typer.Typer(cls=_DefaultRun, no_args_is_help=True,
                       help="Run a task suite against a model and score the end states "
                            "(docs/tasks.md): `guiagent eval SUITE --model-url URL ...` "
                            "(short for `guiagent eval run SUITE ...`); compare two results "
                            "folders: `guiagent eval compare A B`.")


def check_model_server(base_url: str, api_key: str) -> None:
    """Fail early (ConfigError) when nothing answers at the model URL; any HTTP answer will do."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(base_url.rstrip("/") + "/models",
                                 headers={"Authorization": f"Bearer {api_key}"})
    try:
        with urllib.request.urlopen(req, timeout=10.0):  # noqa: S310 - the user's model URL
            pass
    except urllib.error.HTTPError:
        return  # it answered: reachable
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ConfigError(f"the model server at {base_url} is unreachable ({type(exc).__name__}: "
                          f"{exc}); start it or fix --model-url") from exc


def make_backend(name: str, settings: Any, workers: int, ray_address: str | None) -> Any:
    """The backend the options ask for."""
    if name == "local":
        from ..eval.backends import LocalBackend

        backend = LocalBackend(settings, workers=workers)
        backend.start_early()  # the workers' fork server imports while the model server is checked
        return backend
    if name == "ray":
        try:
            from ..eval.ray_backend import RayBackend  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise ConfigError(f"the Ray backend is unavailable ({exc}); "
                              "pip install 'guiagent[ray]'") from exc
        return RayBackend(settings, workers=workers, address=ray_address)
    raise ConfigError(f"--backend must be local or ray, not {name!r}")


@eval_app.command("run")
def run_suite(
    suite: Annotated[str, typer.Argument(help="A bundled suite name (web, office, miniwob) or a "
                                              "task file or folder.")],
    model_url: Annotated[str, typer.Option(envvar="GUIAGENT_MODEL_URL",
                                           help="OpenAI-compatible base URL.")] = DEFAULT_BASE_URL,
    model: Annotated[str, typer.Option(envvar="GUIAGENT_MODEL", help="Model name.")] = DEFAULT_MODEL,
    api_key: Annotated[str, typer.Option(envvar="GUIAGENT_API_KEY", help="API key.")] = "EMPTY",
    task: Annotated[list[str] | None, typer.Option(
        "--task", help="Only tasks whose id matches this glob, or tag:GLOB (repeatable).")] = None,
    repeat: Annotated[int, typer.Option(min=1, help="Run every task this many times.")] = 1,
    workers: Annotated[int, typer.Option(min=1, help="Episodes at a time.")] = 1,
    backend: Annotated[str, typer.Option(help="local or ray.")] = "local",
    ray_address: Annotated[str | None, typer.Option(
        help="Ray cluster address [default: start a local Ray].")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Keep the results already in --out and run only the missing episodes "
        "(and those that ended in an infrastructure error).")] = False,
    out: Annotated[Path | None, typer.Option(
        help="Results folder [default: evals/SUITE-TIMESTAMP].")] = None,
    time_limit: Annotated[float, typer.Option(
        min=1, help="Seconds per episode when the task sets no time_limit.")] = 600.0,
    infra_retries: Annotated[int, typer.Option(
        min=0, help="Re-runs of an episode after an infrastructure error.")] = 2,
    viewport: Annotated[str, typer.Option(help="Browser viewport, WxH.")] = "1280x720",
    headed: Annotated[bool, typer.Option("--headed", help="Show the browsers.")] = False,
    image_format: Annotated[str, typer.Option(help="jpeg or png screenshots.")] = "jpeg",
    max_pixels: Annotated[int | None, typer.Option(
        min=10_000, help="Scale screenshots down to at most this many pixels.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for one model answer.")] = 300.0,
    retries: Annotated[int, typer.Option(help="Retries on connection errors and 5xx.")] = 3,
    tips: Annotated[str | None, typer.Option(help="Extra tips for the model's prompt.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Action policy YAML (docs/safety.md).")] = None,
    allow_domain: Annotated[list[str] | None, typer.Option(
        "--allow-domain", help="Only let the browser visit this domain (repeatable; the sandbox "
        "is 127.0.0.1).")] = None,
    secret: Annotated[list[str] | None, typer.Option("--secret", help="NAME=VALUE (repeatable).")] = None,
    secrets_file: Annotated[Path | None, typer.Option(help="File of NAME=VALUE lines.")] = None,
    stuck_warn: Annotated[int, typer.Option(min=1, help="Warn the model after this many "
                                            "identical actions.")] = 3,
    stuck_stop: Annotated[int, typer.Option(min=1, help="End the episode (stuck) at this many.")] = 5,
    protocol: ProtocolOption = None,
    price_in: PriceIn = None,
    price_out: PriceOut = None,
    prompt_template: PromptTemplateOption = None,
) -> None:
    """Run every task of SUITE (each episode isolated) and write results.jsonl, summary.json, report.html."""
    from ..eval.episode import EpisodeSpec, EvalSettings
    from ..eval.results import RESULTS, read_results
    from ..eval.tasks import bundled_policy, load_suite, select_tasks
    from ..runlog import software_versions
    from ..tokens import price_of

    try:
        tasks = select_tasks(load_suite(suite), task)
        if not tasks:
            raise ConfigError(f"no task of suite {suite!r} matches {', '.join(task or [])}")
        if image_format not in ("jpeg", "png"):
            raise ConfigError(f"--image-format must be jpeg or png, not {image_format!r}")
        if policy is None and (policy := bundled_policy(suite)) is not None:
            err.print(f"policy: the {suite} suite's own ({policy.name}; --policy FILE to override)",
                      markup=False)
        out = out or Path("evals") / f"{Path(suite).stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        if (out / RESULTS).exists() and not resume:
            raise ConfigError(f"{out} already holds results: add --resume to finish that run, "
                              "or choose another --out")
        adapter, protocol_line = chosen_protocol(protocol, model, tips=tips,
                                                 prompt_template=prompt_template)
        settings = EvalSettings(protocol=protocol, prompt_template=template_text(prompt_template),
            model=ModelSettings(base_url=model_url, model=model, api_key=api_key, timeout=timeout,
                                retries=retries, price_in=price_in, price_out=price_out),
            viewport=viewport, headless=not headed, image_format=image_format,  # type: ignore[arg-type]
            max_image_pixels=max_pixels, stuck_warn_after=min(stuck_warn, stuck_stop),
            stuck_stop_after=stuck_stop, time_limit=time_limit, infra_retries=infra_retries,
            tips=tips, policy=policy, allow_domains=allow_domain or [], secrets=secret or [],
            secrets_file=secrets_file)
        runner = make_backend(backend, settings, workers, ray_address)
        check_model_server(model_url, api_key)
        done = {(r.task, r.repeat) for r in read_results(out) if r.error_kind != "infra"} \
            if resume else set()
    except (GuiAgentError, ValueError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    specs = [EpisodeSpec(task=t, repeat=k, out_dir=out) for k in range(1, repeat + 1) for t in tasks
             if (t.id, k) not in done]
    meta = {"suite": suite, "model": {"base_url": strip_userinfo(model_url), "name": model},
            "protocol": adapter.name, "repeat": repeat, "tasks": len(tasks), "backend": backend,
            "workers": workers, "versions": software_versions()}
    if (price := price_of(settings.model)) is not None:
        meta["price"] = price.model_dump()
    err.print(f"suite {suite}: {len(tasks)} task(s) x {repeat} = {len(tasks) * repeat} episode(s), "
              f"{len(specs)} to run, {workers} worker(s), model {model} at "
              f"{strip_userinfo(model_url)}; {protocol_line}", markup=False)
    _run_with_progress(runner, specs, out, len(done))
    raise typer.Exit(finish(out, meta))


def _run_with_progress(runner: Any, specs: list[Any], out: Path, already: int) -> None:
    from ..eval.results import ResultsWriter

    counts = {"ok": 0, "n": 0}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("success {task.fields[rate]}"), TimeElapsedColumn())
    with ResultsWriter(out) as writer, Progress(*columns, console=err, transient=False) as bar:
        job = bar.add_task("episodes", total=len(specs), rate="-")

        def on_result(result: Any) -> None:
            writer.write(result)
            counts["n"] += 1
            counts["ok"] += result.success
            mark = "ok" if result.success else (result.category or "failed")
            # Task ids and categories come from task files: text, never markup.
            bar.console.print(styled((mark, "green" if result.success else "red"),
                                     f" {result.task} r{result.repeat}: {result.outcome}, "
                                     f"{result.steps} step(s), {result.seconds:.1f}s"
                                     + (f", {usd(result.cost_usd)}" if result.cost_usd is not None
                                        else "")),
                              highlight=False)
            bar.update(job, advance=1,
                       rate=f"{counts['ok']}/{counts['n']} ({counts['ok'] / counts['n']:.0%})")

        try:
            runner.run(specs, on_result)
        except KeyboardInterrupt:
            err.print(f"interrupted: {counts['n']} episode(s) recorded in {out}; "
                      "run again with --resume to finish", markup=False)
            raise typer.Exit(130) from None


def finish(out: Path, meta: dict[str, Any]) -> int:
    """Write summary.json and report.html from results.jsonl; print the headline."""
    from ..eval.report import write_eval_report
    from ..eval.results import read_results, write_summary

    results = read_results(out)
    summary = write_summary(out, results, meta)
    report = write_eval_report(out)
    lo, hi = summary["ci95"]
    err.print(f"success: [bold]{summary['succeeded']}/{summary['episodes']}[/bold] "
              f"({summary['success_rate']:.1%}, 95% CI {lo:.0%}-{hi:.0%}); "
              f"infrastructure errors: {summary['infra_errors']}")
    if summary.get("tokens"):
        split = summary.get("token_split") or {}
        err.print(f"tokens: {summary['tokens']:,} (" + ", ".join(
            f"{k} {split.get(k, 0):,}" for k in ("visual", "text", "thinking", "answer")) + ")"
            + (f"; cost {usd(summary['cost_usd'])}" if summary.get("cost_usd") is not None else ""),
            markup=False)
    if summary["failure_categories"]:
        err.print("failures: " + ", ".join(f"{k} {v}" for k, v in summary["failure_categories"].items()))
    err.print(f"results: {out / 'results.jsonl'}\nsummary: {out / 'summary.json'}\nreport: {report}")
    if summary["episodes"] and summary["infra_errors"] == summary["episodes"]:
        err.print("[bold red]nothing was measured:[/bold red] every episode ended with an "
                  "infrastructure error (see the errors in results.jsonl); fix it and rerun "
                  "with --resume to redo only those episodes")
        return EXIT_NOTHING_MEASURED
    return EXIT_RAN


@eval_app.command("compare")
def compare(
    a: Annotated[Path, typer.Argument(help="Results folder A (the baseline).")],
    b: Annotated[Path, typer.Argument(help="Results folder B (the change).")],
    out: Annotated[Path | None, typer.Option(help="Write the comparison page here "
                                                 "[default: B/compare.html].")] = None,
) -> None:
    """Per-task success rates of two results folders, marking differences beyond noise."""
    from ..eval.compare import compare_results, print_comparison, write_comparison

    try:
        comparison = compare_results(a, b)
    except GuiAgentError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    print_comparison(comparison, Console(highlight=False, soft_wrap=True))
    page = write_comparison(comparison, out or b / "compare.html")
    err.print(f"comparison page: {page}")


def register(app: typer.Typer) -> None:
    """Add ``guiagent eval`` to the main app."""
    app.add_typer(eval_app, name="eval")
