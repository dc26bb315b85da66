"""Run a skill on a driver: steps in order, the model only where a step needs it.

The runner mirrors :class:`~guiagent.agent.Agent`: same driver, same
:class:`~guiagent.agent.RunResult`, same log format (``kind: "skill"``), and
``agent:`` steps are handed to a real ``Agent`` on the same driver, whose steps
are copied into the skill's log. Without a model every step that can be done
by DOM and OCR runs, and the first one that needs the model fails with
:class:`~guiagent.errors.ModelRequiredError`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..agent import Agent, AgentConfig, AgentHooks, RunResult
from ..drivers.base import Driver
from ..errors import (
    GuiAgentError,
    InputNotTakenError,
    ModelError,
    ModelRequiredError,
    SkillStepError,
)
from ..hooks import StopRun
from ..model import ModelClient
from ..protocols.base import ProtocolAdapter
from ..protocols.registry import resolve_protocol
from ..redaction import strip_userinfo
from ..runlog import ErrorInfo, Outcome, RunLog, RunRecord
from ..secrets import Secrets, SecretsDriver, placeholder, redactor_of
from ..tokens import price_of
from .context import SkillContext
from .ground_dom import DomGrounder
from .ground_model import ModelGrounder
from .ground_ocr import OcrGrounder, ScreenText
from .grounding import GroundingChain
from .params import resolve_params
from .schema import AgentStep, ForEachStep, Skill, step_kind
from .steps import HANDLERS
from .templating import render_text, truthy
from .verify_run import run_verify


def secret_params(skill: Skill, values: Mapping[str, Any]) -> Secrets:
    """The values of the skill's ``secret: true`` parameters, by parameter name."""
    return Secrets({re.sub(r"\W", "_", n): str(values[n]) for n, p in skill.parameters.items()
                    if p.secret and values.get(n) not in (None, "")})


class SkillRunConfig(BaseModel):
    """Where the log goes and how screenshots are stored."""

    run_dir: Path | None = None
    runs_root: Path = Path("runs")
    image_format: str = "jpeg"
    jpeg_quality: int = Field(default=85, ge=1, le=100)
    use_ocr: bool = True
    settle_seconds: float = Field(default=1.5, ge=0)  # keep looking this long before a miss
    #: Write into a ``run_dir`` that holds a previous run (its files are replaced).
    overwrite: bool = False


class SkillRunner:
    """Runs skills on one driver, with an optional model for the gaps."""

    def __init__(self, driver: Driver, model: ModelClient | None = None, *,
                 protocol: ProtocolAdapter | str | None = None,
                 config: SkillRunConfig | None = None,
                 hooks: list[AgentHooks] | None = None) -> None:
        self.driver = driver
        self.model = model
        self.protocol = resolve_protocol(protocol, model.settings.model if model else None)
        self.config = config or SkillRunConfig()
        self.hooks = list(hooks or [])

    def run(self, skill: Skill, params: Mapping[str, Any] | None = None) -> RunResult:
        """Run every step; parameter errors raise ConfigError before anything happens."""
        values = resolve_params(skill, params)
        secrets = secret_params(skill, values)
        log = self._new_log(skill, values, secrets)
        screen_text = ScreenText()
        model_grounder = ModelGrounder(self.model, self.protocol,
                                       image_format=self.config.image_format,
                                       jpeg_quality=self.config.jpeg_quality)
        grounders: list[Any] = [DomGrounder()]
        if self.config.use_ocr:
            grounders.append(OcrGrounder(screen_text))
        grounders.append(model_grounder)
        ctx = SkillContext(self.driver, log, GroundingChain(grounders), model_grounder,
                           screen_text, variables=dict(values), secrets=secrets,
                           params=skill.parameters,
                           image_format=self.config.image_format,
                           jpeg_quality=self.config.jpeg_quality, hooks=self.hooks,
                           settle_seconds=self.config.settle_seconds)
        outcome: Outcome = "done"
        error: BaseException | None = None
        info: ErrorInfo | None = None
        try:
            self.driver.start()
            for hook in self.hooks:  # the guard watches navigations from here on
                hook.on_run_start(self.driver)
            self._run_steps(ctx, skill.steps, "")
            run_verify(ctx, skill.verify)
        except KeyboardInterrupt as exc:
            outcome, error = "interrupted", exc
        except StopRun as exc:  # a hook ended the run (stopped from the live view, say)
            outcome, error = exc.outcome, exc
            info = ErrorInfo(type="StopRun", message=ctx.redact(str(exc)))
        except GuiAgentError as exc:
            error = exc
            outcome = "failed" if isinstance(exc, SkillStepError) and not isinstance(
                exc, ModelRequiredError) else "error"
            where = f"step {ctx.path} ({ctx.kind})" if ctx.path else "start"
            info = ErrorInfo(type=type(exc).__name__, message=ctx.redact(f"{where}: {exc}"))
            if not getattr(exc, "recorded", False) and ctx.path:
                ctx.record(error=exc)
        except Exception as exc:  # a bug: the log says so (never "done"), then it surfaces
            outcome, error = "error", exc
            info = ErrorInfo(type=type(exc).__name__, message=ctx.redact(
                f"step {ctx.path or 'start'}: unexpected {type(exc).__name__}: {exc}"))
            raise
        finally:
            record = log.finish(outcome, error=info or error)
        return RunResult(outcome=outcome, run_dir=log.dir, record=record, steps=log.steps,
                         error=error)

    def _new_log(self, skill: Skill, values: dict[str, Any], secrets: Secrets) -> RunLog:
        run_dir = self.config.run_dir or self.config.runs_root / (
            time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6])
        shown = {k: ("***" if skill.parameters[k].secret else v) for k, v in values.items()}
        record = RunRecord(
            kind="skill", task=f"skill {skill.name}: {skill.description}".strip().rstrip(":"),
            protocol=self.protocol.name if self.model else "", driver=self.driver.describe(),
            model={"base_url": strip_userinfo(self.model.settings.base_url),
                   "name": self.model.settings.model} if self.model else {},
            price=price_of(self.model.settings) if self.model else None,
            extra={"skill": {"name": skill.name, "source": skill.source, "params": shown}},
        )
        redactor = secrets.redactor().merged(redactor_of(self.driver))
        return RunLog(run_dir, record, redactor=redactor, overwrite=self.config.overwrite)

    def _run_steps(self, ctx: SkillContext, steps: list[Any], prefix: str) -> None:
        for number, step in enumerate(steps, start=1):
            path, kind = f"{prefix}{number}", step_kind(step) or "?"
            if step.when is not None and not truthy(ctx.value(step.when)):
                continue
            ctx.path, ctx.kind, ctx.label = path, kind, step.name or ""
            try:
                if isinstance(step, ForEachStep):
                    self._for_each(ctx, step, path)
                elif isinstance(step, AgentStep):
                    self._agent(ctx, step)
                else:
                    self._with_retries(ctx, step, kind)
            except SkillStepError as exc:
                if not getattr(exc, "recorded", False):
                    ctx.record(error=exc)
                    exc.recorded = True  # type: ignore[attr-defined]
                if not step.optional:
                    raise
                ctx.obs = None

    @staticmethod
    def _with_retries(ctx: SkillContext, step: Any, kind: str) -> None:
        """Run a step; input no application took (nothing entered) is retried ``retries`` times."""
        for attempt in range(step.retries + 1):
            try:
                HANDLERS[kind](ctx, step)
                return
            except InputNotTakenError as exc:
                if attempt == step.retries:
                    error = SkillStepError(f"{exc}" + (f" (tried {attempt + 1} times)"
                                                      if attempt else ""))
                    error.recorded = True  # type: ignore[attr-defined] # on the action's step
                    raise error from exc
                ctx.obs = None

    def _for_each(self, ctx: SkillContext, step: ForEachStep, path: str) -> None:
        spec = step.for_each
        items = ctx.value(spec.items)
        if isinstance(items, dict):
            items = list(items.items())
        if not isinstance(items, list | tuple):
            raise SkillStepError(f"for_each items must be a list, got {type(items).__name__}")
        saved = ctx.variables.get(spec.as_)
        try:
            for n, item in enumerate(items, start=1):
                ctx.variables[spec.as_] = item
                self._run_steps(ctx, spec.steps, f"{path}.{n}.")
        finally:
            if saved is None:
                ctx.variables.pop(spec.as_, None)
            else:
                ctx.variables[spec.as_] = saved

    def _agent(self, ctx: SkillContext, step: AgentStep) -> None:
        # The model gets placeholders for secret parameters, never their values: the
        # nested agent types {{secret:NAME}} and a SecretsDriver substitutes the value.
        goal = render_text(step.agent.goal, {**ctx.variables, **{
            name: placeholder(re.sub(r"\W", "_", name)) for name, p in ctx.skill_params.items()
            if p.secret}})
        ctx.label = f"agent: {goal}"
        if self.model is None:
            raise ModelRequiredError(
                f"the agent step {goal!r} needs a model: pass --model-url with the URL of a "
                "GLM-4.1V server (e.g. http://127.0.0.1:8000/v1), or replace the step with "
                "explicit click/type steps")
        sub = Path("agents") / f"step-{ctx.path.replace('.', '-')}"
        config = AgentConfig(run_dir=ctx.log.dir / sub, max_steps=step.agent.max_steps,
                             image_format=self.config.image_format,
                             jpeg_quality=self.config.jpeg_quality)
        driver: Any = self.driver
        protocol = self.protocol
        known = ctx.secrets
        if known:
            driver = SecretsDriver(self.driver, known)
            protocol = protocol.with_tips(known.prompt_tip())
        result = Agent(driver, self.model, protocol=protocol, config=config,
                       hooks=self.hooks).run(goal)
        ctx.obs = None
        for s in result.steps:
            index = len(ctx.log.steps) + 1
            shot = None
            if s.screenshot:
                src = result.run_dir / s.screenshot
                shot = ctx.log.save_screenshot(index, src.read_bytes(), src.suffix.lstrip("."))
            ctx.log.append_step(s.model_copy(update={
                "index": index, "screenshot": shot,
                "extra": {**s.extra, "skill_step": ctx.path, "kind": "agent", "agent_goal": goal,
                          "agent_run": str(sub), "agent_step": s.index}}))
        if isinstance(result.error, ModelError):
            raise result.error
        if not result.succeeded:
            why = f": {result.error}" if result.error else ""
            error = SkillStepError(f"the agent did not reach the goal {goal!r} "
                                   f"(outcome {result.outcome}{why}); see {ctx.log.dir / sub}")
            error.recorded = True  # type: ignore[attr-defined]
            raise error


def run_skill(skill: Skill, driver: Driver, params: Mapping[str, Any] | None = None, *,
              model: ModelClient | None = None, run_dir: str | Path | None = None,
              hooks: list[AgentHooks] | None = None) -> RunResult:
    """Run ``skill`` on ``driver`` (started if needed, not closed) and return the result."""
    config = SkillRunConfig(run_dir=Path(run_dir) if run_dir else None)
    return SkillRunner(driver, model, config=config, hooks=hooks).run(skill, params)
