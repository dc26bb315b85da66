"""Filling forms by their labels: the ``fill_form`` and ``select`` steps.

A record maps label text to a value, the way a person reads a form. Each field
is found by the grounding chain; on a browser the DOM also says what kind of
control it is, so the value is entered as a person would: typed into text
fields, digits typed in the locale's order into date fields, a dropdown opened
and its option clicked, a checkbox clicked only if its state differs, the
radio of a group clicked by its own label. The page is read afterwards to
confirm each value took; only reading goes through the DOM, input is real.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ..actions import Key, LeftClick, Point, Scroll, Type
from ..errors import SkillStepError
from .context import MAX_SCROLLS, SkillContext
from .dom_js import DATE_ORDER, PICK_CHOICE, STATE
from .ground_dom import element_grounding
from .grounding import Grounding
from .target import Target

TEXT_TYPES = {"", "text", "email", "password", "tel", "url", "search", "number"}
TRUE_WORDS = {"true", "yes", "on", "1", "checked", "x"}


def click(ctx: SkillContext, g: Grounding, *, x: float | None = None) -> None:
    """Click a grounding's centre (or another x inside its box)."""
    p = g.point
    ctx.act(LeftClick(start_box=Point(x=x if x is not None else p.x, y=p.y),
                      element_info=g.target), grounding=g)


def select_option(ctx: SkillContext, field: Target, option: str) -> None:
    """Open the dropdown found by ``field`` and click the option reading ``option``."""
    g = ctx.ground(field, "field")
    options = (g.element or {}).get("options") or []
    label = next((o["text"] for o in options if option in (o["text"], o["value"])), option)
    click(ctx, g)
    choice = ctx.ground(Target(text=label), "click")
    click(ctx, choice)
    if g.handle is not None and options:
        state = g.handle.evaluate(STATE)
        chosen = next((o["text"] for o in options if o["value"] == state["value"]), None)
        if chosen != label:
            raise SkillStepError(f"{field.summary()}: chose {label!r} but the dropdown shows "
                                 f"{chosen!r}; options: {[o['text'] for o in options]}")


def fill_form(ctx: SkillContext, record: Any, *, submit: bool = False) -> None:
    """Set every field of ``record`` (label -> value), in the record's order.

    ``submit``: then press the submit button of the form those fields belong to,
    whatever its label ("Send message", "Weiter", an arrow icon with a title).
    """
    if not isinstance(record, dict) or not record:
        raise SkillStepError(f"fill_form needs a record mapping field labels to values, got "
                             f"{type(record).__name__}")
    handles = []
    for label, value in record.items():
        if value is None:
            continue
        ctx.label = f"fill {label!r} with {ctx.redact(str(value))!r}"
        handle = fill_field(ctx, str(label), value)
        if handle is not None:
            handles.append(handle)
    if submit:
        ctx.label = "press the form's submit button"
        press_submit(ctx, handles)


def press_submit(ctx: SkillContext, field_handles: list[Any]) -> None:
    """Click the submit button of the form the filled fields belong to (a real click)."""
    button = None
    for handle in reversed(field_handles):
        button = handle.evaluate_handle(SUBMIT_BUTTON).as_element()
        if button is not None:
            break
    if button is None:
        raise SkillStepError("found no submit button in the form of the filled fields (is there "
                             "a <form>?); name the button to press with the submit parameter")
    text = button.evaluate("b => (b.innerText || b.value || b.title || b.getAttribute('aria-label')"
                           " || '').trim()")
    g = _in_view(ctx, button, Target(text=text or "submit", role="button"), "the form's submit button")
    click(ctx, g)


#: The form an element belongs to (its form owner, else the enclosing <form>), then that
#: form's default button: the first submit button inside it or associated by form=ID.
SUBMIT_BUTTON = """el => {
  const form = el.form || (el.closest && el.closest('form'));
  if (!form) return null;
  const pick = 'button[type=submit], button:not([type]), input[type=submit], input[type=image]';
  const inside = Array.from(form.querySelectorAll(pick)).filter(b => !b.disabled);
  const outside = form.id ? Array.from(document.querySelectorAll(
      `button[form="${CSS.escape(form.id)}"], input[form="${CSS.escape(form.id)}"]`))
      .filter(b => b.matches(pick) && !b.disabled) : [];
  return inside[0] || outside[0] || null;
}"""


def fill_field(ctx: SkillContext, label: str, value: Any) -> Any:
    """Enter one value into the control labelled ``label``; return its element handle (if any)."""
    g = ctx.ground(Target(label=label), "field")
    info = g.element
    if info is None or g.handle is None:  # found by OCR or the model: click and type
        click(ctx, g)
        if not isinstance(value, bool):
            ctx.act(Type(content=str(value)))
        return None
    tag, kind, role = info["tag"], info["type"], info["role"]
    if tag == "fieldset" or role in ("group", "radiogroup") or (
            kind == "radio" and not isinstance(value, bool)):
        _choose(ctx, g, label, str(value))
    elif kind in ("checkbox", "radio") or role in ("checkbox", "switch"):
        _set_checked(ctx, g, label, _as_bool(value))
    elif tag == "select":
        select_option(ctx, Target(label=label), str(value))
    elif kind == "date":
        _type_date(ctx, g, label, str(value))
    elif tag == "textarea" or kind in TEXT_TYPES or info.get("editable"):
        _type_text(ctx, g, label, str(value))
    else:
        raise SkillStepError(f"field {label!r} is an <{tag} type={kind}>, which fill_form "
                             "cannot fill; use explicit steps for it")
    return g.handle


def _type_text(ctx: SkillContext, g: Grounding, label: str, value: str) -> None:
    click(ctx, g)
    if (g.element or {}).get("value") or (g.element or {}).get("text"):
        ctx.act(Key(keys="ctrl+a"), note=f"select the old text of {label!r}")
    ctx.act(Type(content=value))
    state = g.handle.evaluate(STATE)
    shown = state["value"] if state["value"] is not None else state["text"]
    if _norm(shown) != _norm(value):
        raise SkillStepError(f"field {label!r}: typed {ctx.redact(value)!r} but it holds "
                             f"{ctx.redact(shown or '')!r}")


def _set_checked(ctx: SkillContext, g: Grounding, label: str, want: bool) -> None:
    if bool((g.element or {}).get("checked")) == want:
        ctx.record(note=f"{label!r} is already {'checked' if want else 'unchecked'}",
                   grounding=g)
        return
    click(ctx, g)
    if bool(g.handle.evaluate(STATE)["checked"]) != want:
        raise SkillStepError(f"{label!r}: clicked it but it is still "
                             f"{'unchecked' if want else 'checked'}")


def _choose(ctx: SkillContext, g: Grounding, label: str, value: str) -> None:
    handle = g.handle.evaluate_handle(PICK_CHOICE, value).as_element()
    if handle is None:
        raise SkillStepError(f"{label!r}: no choice reads {value!r} in that group")
    choice = _in_view(ctx, handle, Target(label=value), f"choice {value!r} of group {label!r}")
    if not (choice.element or {}).get("checked"):
        click(ctx, choice)
    if not handle.evaluate(STATE)["checked"]:
        raise SkillStepError(f"{label!r}: clicked {value!r} but it is not selected")


def _in_view(ctx: SkillContext, handle: Any, target: Target, how: str) -> Grounding:
    """The grounding of an element found inside another, wheel-scrolled into view."""
    for _ in range(MAX_SCROLLS + 1):
        found = element_grounding(handle, ctx.observe().frame, target, how)
        if not isinstance(found, Grounding):
            raise SkillStepError(f"{target.summary()} is not visible ({found.reason})")
        if found.offscreen is None:
            return found
        direction: Literal["up", "down"] = "down" if found.offscreen == "below" else "up"
        ctx.act(Scroll(start_box=Point(x=500, y=500), direction=direction, step=3),
                note=f"scroll {direction}: {target.summary()} is outside the view")
    raise SkillStepError(f"{target.summary()} stayed outside the view")


def _type_date(ctx: SkillContext, g: Grounding, label: str, value: str) -> None:
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise SkillStepError(f"field {label!r} is a date field: give the value as "
                             f"YYYY-MM-DD, not {value!r}") from exc
    order = ctx.page.evaluate(DATE_ORDER)
    parts = {"day": f"{day.day:02d}", "month": f"{day.month:02d}", "year": f"{day.year:04d}"}
    # Click the first segment (near the left edge), then type each part; the field moves on.
    assert ctx.obs is not None
    left = g.box.x1 + 12 / ctx.obs.frame.surface.width * 1000
    click(ctx, g, x=round(min(left, g.point.x)))
    ctx.act(Type(content="".join(parts[p] for p in order)))
    shown = g.handle.evaluate(STATE)["value"]
    if shown != day.isoformat():
        raise SkillStepError(f"date field {label!r}: typed {day.isoformat()} in the order "
                             f"{'/'.join(order)} but it holds {shown!r}")


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    return bool(value)


def _norm(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()
