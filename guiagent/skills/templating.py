"""``{{ param }}`` templates in skill steps, rendered by a sandboxed Jinja2.

Skill files may come from anyone, so templates run in Jinja2's sandbox (no
attribute access to internals) with StrictUndefined (a missing value is an
error, never an empty string typed into a form). A string that is exactly one
expression keeps the value's own type, so ``record: "{{ record }}"`` hands over
the mapping itself and ``items: "{{ rows }}"`` the list.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, UndefinedError

from ..errors import SkillStepError
from .template_limits import MAX_SIZE, BoundedEnvironment, TemplateTooLargeError, check_size

_WHOLE = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.DOTALL)


@lru_cache(maxsize=1)
def environment() -> BoundedEnvironment:
    """The one template environment skills use (sandboxed, immutable, size-limited)."""
    return BoundedEnvironment(undefined=StrictUndefined, autoescape=False,
                              keep_trailing_newline=True)


def _render_bounded(template: str, context: dict[str, Any]) -> str:
    """Render, stopping as soon as the output passes the size limit."""
    parts, size = [], 0
    for chunk in environment().from_string(template).generate(context):
        size += len(chunk)
        if size > MAX_SIZE:
            raise TemplateTooLargeError(f"the output would pass {MAX_SIZE:,} characters; skill "
                                        "templates are limited to that")
        parts.append(chunk)
    return "".join(parts)


def render_text(template: str, context: dict[str, Any]) -> str:
    """Render a template to a string."""
    if "{{" not in template and "{%" not in template:
        return template
    try:
        return _render_bounded(template, context)
    except UndefinedError as exc:
        raise SkillStepError(f"template {template!r}: {exc.message}; pass it with "
                             "--param NAME=VALUE") from exc
    except TemplateError as exc:
        raise SkillStepError(f"template {template!r} failed: {exc}") from exc
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        # 1/0, a missing key, 'a' - 1 ...: the template's fault, reported as such.
        raise SkillStepError(f"template {template!r} failed: {type(exc).__name__}: "
                             f"{exc}") from exc


def render_value(value: Any, context: dict[str, Any]) -> Any:
    """Render strings inside any structure; a lone ``{{ expr }}`` keeps its native type."""
    if isinstance(value, str):
        match = _WHOLE.match(value)
        if match and "}}" not in match.group(1) and "{{" not in match.group(1):
            try:
                expr = environment().compile_expression(match.group(1).strip(),
                                                        undefined_to_none=False)
                result = check_size(expr(**context))
            except UndefinedError as exc:
                raise SkillStepError(f"template {value!r}: {exc.message}; pass it with "
                                     "--param NAME=VALUE") from exc
            except TemplateError as exc:
                raise SkillStepError(f"template {value!r} failed: {exc}") from exc
            except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
                raise SkillStepError(f"template {value!r} failed: {type(exc).__name__}: "
                                     f"{exc}") from exc
            if isinstance(result, StrictUndefined):  # pragma: no cover - raised above
                raise SkillStepError(f"template {value!r} is undefined")
            return result
        return render_text(value, context)
    if isinstance(value, list):
        return [render_value(v, context) for v in value]
    if isinstance(value, dict):
        return {render_text(str(k), context): render_value(v, context) for k, v in value.items()}
    return value


def truthy(value: Any) -> bool:
    """How ``when:`` reads a rendered value: empty, 'false', 'no', '0' and 'none' are false."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "0", "none", "off")
    return bool(value)
