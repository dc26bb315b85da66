"""A template sandbox with a size budget: no template builds text or lists beyond a limit.

Jinja2's sandbox stops templates reaching Python internals but not building
huge values: ``{{ 'x' * 10**10 }}``, ``'x'|center(10**9)``, a namespace string
doubled in a loop, or ``10 ** 10**9`` exhaust memory or CPU before any output
exists. :class:`BoundedEnvironment` checks the size of what each operation
*would* produce before producing it, for the operators (``*``, ``+``, ``%``,
``**``, ``~``), the string methods and filters that can grow their input
(``center``, ``ljust``, ``replace``, ``join``, ``format``, ``indent``, ...), and
refuses lists being modified (the immutable sandbox). Anything over
:data:`MAX_SIZE` characters (or items) raises
:class:`TemplateTooLargeError`, a Jinja2 ``SecurityError``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: The largest text (characters) or list (items) a template may build.
MAX_SIZE = 1_000_000
_SIZED = (str, bytes, list, tuple, dict)
# A width or precision of 7+ digits in a %-format or {}-format spec.
_BIG_WIDTH = re.compile(r"(%[^a-zA-Z%]*\d{7,})|(\{[^{}]*:[^{}]*\d{7,}[^{}]*\})")
_GROWING_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join",
                    "format", "format_map", "translate"}


class TemplateTooLargeError(SecurityError):
    """A template would build a value larger than :data:`MAX_SIZE`."""


def _refuse(what: str, size: float) -> None:
    raise TemplateTooLargeError(f"{what} would make {size:.3g} characters or items; skill "
                                f"templates are limited to {MAX_SIZE:,}")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, _SIZED) else len(str(value))


def check_size(value: Any, what: str = "the template") -> Any:
    """``value`` itself, if it is within the limit."""
    if isinstance(value, _SIZED) and len(value) > MAX_SIZE:
        _refuse(what, len(value))
    return value


def _check_format(fmt: Any, args: Iterable[Any] = ()) -> None:
    """Refuse format strings with huge widths, or widths taken from huge arguments."""
    if not isinstance(fmt, str):
        return
    if _BIG_WIDTH.search(fmt):
        _refuse("a format width", MAX_SIZE + 1)
    takes_width = "%*" in fmt or "%.*" in fmt or re.search(r"\{[^{}]*\{", fmt)
    if takes_width and any(isinstance(a, int) and abs(a) > 10_000 for a in args):
        _refuse("a format width taken from an argument", MAX_SIZE + 1)


def _estimate_method(name: str, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a string method call whose result would be too large."""
    ints = [a for a in (*args, *kwargs.values()) if isinstance(a, int)]
    if name in ("center", "ljust", "rjust", "zfill") and ints and ints[0] > MAX_SIZE:
        _refuse(f"str.{name}", ints[0])
    elif name == "expandtabs" and ints and ints[0] * max(1, owner.count("\t")) > MAX_SIZE:
        _refuse("str.expandtabs", ints[0] * owner.count("\t"))
    elif name == "replace" and len(args) >= 2:
        grow = max(0, _size(args[1]) - _size(args[0]))
        count = owner.count(args[0]) if args[0] else len(owner) + 1
        if len(owner) + count * grow > MAX_SIZE:
            _refuse("str.replace", len(owner) + count * grow)
    elif name == "join" and args:
        items = list(args[0])
        total = sum(_size(i) for i in items) + len(owner) * max(0, len(items) - 1)
        if total > MAX_SIZE:
            _refuse("str.join", total)
    elif name in ("format", "format_map"):
        _check_format(owner, (*args, *kwargs.values(), *(args[0].values() if name == "format_map"
                                                          and args and isinstance(args[0], dict)
                                                          else ())))
    elif name == "translate":
        _refuse("str.translate", MAX_SIZE + 1)  # a table may map one character to a novel


def _bounded_filter(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    skip = 1 if hasattr(original, "jinja_pass_arg") else 0  # an environment or context first

    def checked(*args: Any, **kwargs: Any) -> Any:
        head, values = args[:skip], list(args[skip:])
        value, rest = (values[0], values[1:]) if values else (None, [])
        numbers = [a for a in (*rest, *kwargs.values())
                   if isinstance(a, int) and not isinstance(a, bool)]
        if name in ("center", "batch", "slice") and numbers and numbers[0] > MAX_SIZE:
            _refuse(f"the {name} filter", numbers[0])
        if name == "indent":
            width = rest[0] if rest else kwargs.get("width", 4)
            lines = str(value).count("\n") + 1
            pad = len(width) if isinstance(width, str) else int(width)
            if pad * lines > MAX_SIZE:
                _refuse("the indent filter", pad * lines)
        if name == "format":
            _check_format(value, rest)
        if name == "replace" and isinstance(value, str) and len(rest) >= 2:
            _estimate_method("replace", value, (str(rest[0]), str(rest[1])), {})
        if name == "join" and value is not None:
            items = list(value)
            sep = rest[0] if rest else kwargs.get("d", "")
            total = sum(_size(i) for i in items) + _size(sep) * max(0, len(items) - 1)
            if total > MAX_SIZE:
                _refuse("the join filter", total)
            args = (*head, items, *rest)
        if name == "wordwrap" and value is not None:
            wrap = kwargs.get("wrapstring") or (rest[2] if len(rest) > 2 else None) or "\n"
            width = numbers[0] if numbers else 79
            if _size(value) // max(1, width) * _size(wrap) > MAX_SIZE:
                _refuse("the wordwrap filter", _size(value) * _size(wrap))
        return check_size(original(*args, **kwargs), f"the {name} filter")

    checked.__dict__.update(getattr(original, "__dict__", {}))  # keep pass_context & co.
    return checked


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` into a size-checked join."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 - Jinja's name
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus a size budget on everything a template builds."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset(["*", "+", "%", "**"])

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name in ("lipsum", "cycler", "joiner"):
            self.globals.pop(name, None)
        for name in ("center", "indent", "format", "replace", "join", "wordwrap", "batch",
                     "slice"):
            if name in self.filters:
                self.filters[name] = _bounded_filter(name, self.filters[name])

    def bounded_concat(self, parts: tuple[Any, ...]) -> str:
        """``a ~ b ~ ...``, refused when the result would be too large."""
        texts = [str(p) for p in parts]
        if sum(map(len, texts)) > MAX_SIZE:
            _refuse("joining text with ~", sum(map(len, texts)))
        return "".join(texts)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Estimate the size of ``*``, ``+``, ``%`` and ``**`` before computing them."""
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, _SIZED) and isinstance(times, int) and \
                        len(seq) * times > MAX_SIZE:
                    _refuse("repetition with *", len(seq) * times)
        elif operator == "+" and isinstance(left, _SIZED) and isinstance(right, _SIZED):
            if len(left) + len(right) > MAX_SIZE:
                _refuse("joining with +", len(left) + len(right))
        elif operator == "%":
            _check_format(left, right if isinstance(right, tuple) else (right,))
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and \
                abs(left) > 1 and right > 0 and right * math.log2(abs(left)) > 4 * MAX_SIZE:
            _refuse("the power **", right * math.log10(abs(left)))
        return check_size(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any,  # noqa: N805 - Jinja's names
             **kwargs: Any) -> Any:
        """Estimate what a string method would build before calling it."""
        target = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped
        owner = getattr(target, "__self__", None)
        name = getattr(target, "__name__", "")
        if isinstance(owner, str | bytes) and name in _GROWING_METHODS:
            _estimate_method(name, owner if isinstance(owner, str) else owner.decode("latin-1"),
                             args, kwargs)
        return check_size(super().call(__context, __obj, *args, **kwargs))
