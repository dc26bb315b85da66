"""What each kind of skill step does, one small function per kind.

Handlers render their templates, ground their targets through the context and
act through it; none of them touches the driver's input directly, so every
action is a real event and a logged step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..actions import Key, LeftClick, LeftDoubleClick, MiddleClick, Point, RightClick, Scroll, Type
from ..errors import AppNotReadyError, ConfigError, SkillStepError
from ..keys import combo_text, parse_combo
from .context import SkillContext
from .forms import fill_form, select_option
from .schema import (
    CheckSpec,
    CheckStep,
    ClickStep,
    FillFormStep,
    KeyStep,
    ScrollStep,
    SelectStep,
    TypeStep,
    UploadStep,
    WaitForSpec,
    WaitForStep,
    WaitStep,
)

POLL_SECONDS = 0.3


def do_click(ctx: SkillContext, step: ClickStep) -> None:
    """Ground the target and click it."""
    spec = step.click
    target = ctx.target(spec)
    ctx.label = ctx.label or f"click {target.summary()}"
    g = ctx.ground(target, "click")
    cls: Any = LeftDoubleClick if spec.double else {
        "left": LeftClick, "right": RightClick, "middle": MiddleClick}[spec.button]
    ctx.act(cls(start_box=Point(x=g.point.x, y=g.point.y), element_info=target.summary()),
            grounding=g)


def do_type(ctx: SkillContext, step: TypeStep) -> None:
    """Click the field (if given), optionally clear it, type, optionally press Enter."""
    spec = step.type
    text = ctx.text(spec.text)
    if spec.into is not None:
        target = ctx.target(spec.into)
        ctx.label = ctx.label or f"type into {target.summary()}"
        g = ctx.ground(target, "field")
        ctx.act(LeftClick(start_box=Point(x=g.point.x, y=g.point.y),
                          element_info=target.summary()), grounding=g)
    if spec.clear:
        ctx.act(Key(keys="ctrl+a"), note="select the old text")
    ctx.act(Type(content=text))
    if spec.enter:
        ctx.act(Key(keys="enter"))


def do_key(ctx: SkillContext, step: KeyStep) -> None:
    """Press a key combination."""
    keys = combo_text(parse_combo(ctx.text(step.key)))
    ctx.act(Key(keys=keys))


def do_wait(ctx: SkillContext, step: WaitStep) -> None:
    """Sleep, then record the screen."""
    time.sleep(step.wait)
    ctx.observe(fresh=True)
    ctx.record(note=f"waited {step.wait:g}s")


def text_visible(ctx: SkillContext, text: str) -> tuple[bool, list[str]]:
    """Whether ``text`` is on screen now: the DOM on a browser, OCR elsewhere."""
    page = ctx.page
    if page is not None:
        found = page.get_by_text(text).filter(visible=True).count() > 0
        return found, [] if found else [page.inner_text("body")[:300]]
    obs = ctx.observe()
    if ctx.screen_text.find(obs, text):
        return True, []
    return False, ctx.screen_text.seen(obs)


def condition(ctx: SkillContext, spec: WaitForSpec | CheckSpec) -> tuple[bool, str]:
    """Evaluate every condition of a wait_for/check; (all true, what was wrong)."""
    obs = ctx.observe(fresh=True)
    problems = []
    if isinstance(spec, WaitForSpec):
        wanted = [(ctx.text(spec.text), not spec.gone)] if spec.text else []
    else:
        wanted = [(ctx.text(t), present) for t, present in
                  ((spec.text_visible, True), (spec.text_absent, False)) if t]
    for text, present in wanted:
        shown, seen = text_visible(ctx, text)
        if shown != present:
            what = "not visible" if present else "still visible"
            problems.append(f"{text!r} is {what}" + (f" (screen shows: {' | '.join(seen)[:300]!r})"
                                                     if seen else ""))
    for attr, value in (("url", spec.url_contains), ("title", spec.title_contains)):
        if value:
            ctx.require_browser(f"{attr}_contains")
            actual = getattr(obs, attr) or ""
            if ctx.text(value) not in actual:
                problems.append(f"the {attr} {actual!r} does not contain {ctx.text(value)!r}")
    return not problems, "; ".join(problems)


def desktop_display(driver: Any) -> str:
    """The X display of a desktop driver, looking through wrappers (guard, secrets)."""
    for _ in range(5):
        display = getattr(driver, "display", None)
        if isinstance(display, str) and display:
            return display
        driver = getattr(driver, "driver", None)
    raise ConfigError("wait_for: {window: ...} needs the desktop driver (--desktop)")


def _wait_for_window(ctx: SkillContext, step: WaitForStep) -> None:
    from ..drivers.desktop_windows import wait_for_app_window

    spec = step.wait_for
    assert spec.window is not None
    try:
        window = wait_for_app_window(desktop_display(ctx.driver), spec.window,
                                     timeout=spec.timeout)
    except AppNotReadyError as exc:
        raise SkillStepError(f"gave up after {spec.timeout:g}s: {exc}") from exc
    ctx.obs = None
    ctx.record(note=ctx.label or f"waited for the window {window.describe()}",
               extra={"condition": "met", "window": window.describe()})


def do_wait_for(ctx: SkillContext, step: WaitForStep) -> None:
    """Poll the screen until the condition holds or the timeout passes."""
    spec = step.wait_for
    if spec.window is not None:
        _wait_for_window(ctx, step)
        if not (spec.text or spec.url_contains or spec.title_contains):
            return
    deadline = time.monotonic() + spec.timeout
    while True:
        ok, problem = condition(ctx, spec)
        if ok:
            ctx.record(note=ctx.label or "waited for the screen", extra={"condition": "met"})
            return
        if time.monotonic() > deadline:
            raise SkillStepError(f"gave up after {spec.timeout:g}s: {problem}")
        time.sleep(POLL_SECONDS)


def do_check(ctx: SkillContext, step: CheckStep) -> None:
    """Assert the screen's state once."""
    ok, problem = condition(ctx, step.check)
    if not ok:
        raise SkillStepError(f"check failed: {problem}")
    ctx.record(note=ctx.label or "check passed", extra={"condition": "met"})


def do_select(ctx: SkillContext, step: SelectStep) -> None:
    """Open a dropdown and click an option."""
    select_option(ctx, ctx.target(step.select.field), ctx.text(step.select.option))


def do_fill_form(ctx: SkillContext, step: FillFormStep) -> None:
    """Fill every field of a record."""
    fill_form(ctx, ctx.value(step.fill_form.record), submit=step.fill_form.submit)


def do_scroll(ctx: SkillContext, step: ScrollStep) -> None:
    """Wheel clicks at a target or the middle of the screen."""
    spec = step.scroll
    point, g = Point(x=500, y=500), None
    if spec.at is not None:
        g = ctx.ground(ctx.target(spec.at), "click")
        point = Point(x=g.point.x, y=g.point.y)
    ctx.act(Scroll(start_box=point, direction=spec.direction, step=spec.step), grounding=g)


def do_upload(ctx: SkillContext, step: UploadStep) -> None:
    """Click the file field, then answer its file chooser with a declared file."""
    spec = step.upload
    target = ctx.target(spec.field)
    ctx.label = ctx.label or f"upload into {target.summary()}"
    choose = getattr(ctx.driver, "choose_upload", None)
    if not callable(choose):
        raise ConfigError("upload: steps need the browser driver")
    g = ctx.ground(target, "field")
    ctx.act(LeftClick(start_box=Point(x=g.point.x, y=g.point.y), element_info=target.summary()),
            grounding=g)
    try:
        result = choose(ctx.text(spec.file))  # ActionRefusedError for an undeclared file
    except Exception as exc:
        ctx.record(error=exc, note=ctx.label)
        exc.recorded = True  # type: ignore[attr-defined]
        raise
    ctx.record(result=result, note=ctx.label)


HANDLERS: dict[str, Callable[[SkillContext, Any], None]] = {
    "click": do_click, "type": do_type, "key": do_key, "wait": do_wait,
    "wait_for": do_wait_for, "check": do_check, "select": do_select,
    "fill_form": do_fill_form, "scroll": do_scroll, "upload": do_upload,
}
