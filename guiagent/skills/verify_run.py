"""Run a skill's ``verify:`` checks on the context, one logged step each."""

from __future__ import annotations

from pathlib import Path

from ..errors import SkillStepError
from .context import SkillContext
from .schema import CheckSpec
from .steps import condition
from .templating import truthy
from .verify import VerificationError, VerifyItem, check_file


def run_verify(ctx: SkillContext, items: list[VerifyItem]) -> None:
    """Check each item; the first mismatch raises VerificationError (recorded on its step)."""
    for number, item in enumerate(items, start=1):
        if item.when is not None and not truthy(ctx.value(item.when)):
            continue
        ctx.path, ctx.kind = f"verify.{number}", "verify"
        try:
            if item.file is not None:
                spec = item.file
                path = Path(ctx.text(spec.path)).expanduser()
                rows = ctx.value(spec.xlsx_equals) if spec.xlsx_equals is not None else None
                text = ctx.text(spec.text_equals) if spec.text_equals is not None else None
                contains = ctx.text(spec.text_contains) if spec.text_contains else None
                ctx.label = f"verify {path}"
                note = check_file(spec, path, rows, text, contains)
            else:
                assert item.screen is not None
                check = CheckSpec(**item.screen.model_dump(exclude_none=True))
                ctx.label = "verify the screen"
                ok, problem = condition(ctx, check)
                if not ok:
                    raise VerificationError(f"verify: {problem}")
                note = "the screen shows what was expected"
        except SkillStepError as exc:
            ctx.record(error=exc, extra={"verify": "mismatch"})
            exc.recorded = True  # type: ignore[attr-defined]
            raise
        ctx.record(note=ctx.redact(note), extra={"verify": "ok"})
