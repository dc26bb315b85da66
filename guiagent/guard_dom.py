"""What an action would press in a web page, read where the page's scripts cannot interfere.

The guard asks for confirmation when the thing an action presses matches a
pattern ("Buy now", "Delete account"). This module finds that thing and
describes it:

* a click or drag presses the element under its point, looked up through
  shadow roots and into iframes (same-origin ones in the page, cross-origin
  ones through Playwright's frame of the iframe);
* Enter or Space in any form (``key(enter)``, ``key(shift+enter)``,
  ``type('\\n')``, ``type(' ')``, a Tab before them moving the focus first)
  presses the focused control; Enter in a text field submits its form, which
  presses the form's default button; an ``alt``/``ctrl`` combination presses an
  element with that ``accesskey``.

The description joins the element's accessible name (``aria-labelledby``,
``aria-label``, ``<label>``s, descendant ``img alt``, ``title``) with its visible
text, so a button cannot hide "Pay" behind an innocent ``aria-label`` or behind
an image. It never reads what a user typed into a field (``value`` of text
inputs), only labels; a submit button's ``value`` is its label.

The script runs in an isolated JavaScript world (CDP ``Page.createIsolatedWorld``):
it sees the page's DOM but not its JavaScript, so a page cannot patch
``elementFromPoint`` or ``getAttribute`` to hide a button's name. The script is
sent once per world (it defines a function there); each check then sends only
its arguments. A CDP session replaced (its page navigated away, say) is detached.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from .actions import Action, Key, LeftClick, LeftDoubleClick, LeftDrag, MiddleClick, RightClick, Type
from .drivers.held_input import call_bounded, cdp_send
from .errors import PageNotRespondingError
from .keys import MODIFIERS, parse_combo

#: How long the page may take to say what an action would press (s): a page whose script
#: never yields would hold the check, and the step, for ever.
DESCRIBE_TIMEOUT_S = 5.0
PRESSING = (LeftClick, LeftDoubleClick, RightClick, MiddleClick, LeftDrag)
MAX_FRAMES = 6
WORLD = "guiagent-guard"
#: The describing script (a function of one argument), without its leading comment line.
DESCRIBE_JS = resources.files("guiagent").joinpath("guard_describe.js").read_text(
    "utf-8").split("\n", 1)[1].strip()
#: Where the isolated world keeps the function (the page's own world cannot see it).
_DEFINED = "__guiagentDescribePressed"


@dataclass
class Presses:
    """What an action presses: a point, or keys on the focused element."""

    point: tuple[float, float] | None = None
    enter: bool = False
    space: bool = False
    tabs: list[int] = field(default_factory=lambda: [0])  # Tab presses before Enter/Space
    access_keys: list[str] = field(default_factory=list)

    @property
    def focused(self) -> bool:
        """True when keys press the focused element (or an access key)."""
        return self.enter or self.space or bool(self.access_keys)


def presses(action: Action) -> Presses | None:
    """What ``action`` would press, or None when it presses nothing."""
    if isinstance(action, Key):
        try:
            keys = parse_combo(action.keys)
        except Exception:  # noqa: BLE001 - the driver refuses an invalid combo anyway
            return None
        found = Presses(enter="enter" in keys, space="space" in keys,
                        tabs=[0, 1] if "tab" in keys else [0])
        if MODIFIERS & set(keys) - {"shift"}:
            found.access_keys = [k for k in keys if len(k) == 1]
        return found if found.focused else None
    if isinstance(action, Type):
        tabs, counts = 0, set()
        enter = space = False
        for char in action.content:
            if char == "\t":
                tabs += 1
            elif char in "\r\n":
                enter = True
                counts.add(tabs)
            elif char == " ":
                space = True
                counts.add(tabs)
        found = Presses(enter=enter, space=space, tabs=sorted(counts) or [0])
        return found if found.focused else None
    return None


def describe_pressed(page: Any, action: Action, at: tuple[float, float] | None) -> str:
    """The description of what ``action`` presses in ``page`` ('' when nothing or unknown).

    ``at`` is the action's point in CSS pixels of the viewport, for pointer actions.
    """
    what = Presses(point=at) if isinstance(action, PRESSING) and at else presses(action)
    if what is None:
        return ""
    args = {"point": list(what.point) if what.point else None, "enter": what.enter,
            "space": what.space, "tabs": what.tabs, "accessKeys": what.access_keys,
            "ox": 0, "oy": 0}
    texts: list[str] = []
    frame, seen = page.main_frame, set()
    for _ in range(MAX_FRAMES):
        seen.add(id(frame))
        found = _evaluate(page, frame, args)
        if not found:
            break
        texts.append(str(found.get("text") or ""))
        cross = found.get("cross")
        if not cross:
            break
        child = _frame_at(page, frame, cross["ox"] + cross["x"], cross["oy"] + cross["y"], seen)
        if child is None:
            break
        frame = child
        args = {**args, "point": [cross["x"], cross["y"]] if what.point else None,
                "ox": cross["ox"], "oy": cross["oy"]}
    return " | ".join(dict.fromkeys(t for t in texts if t))[:400]


def _frame_at(page: Any, parent: Any, x: float, y: float, seen: set[int]) -> Any:
    """The smallest descendant frame of ``parent`` whose iframe covers page point (x, y)."""
    best, best_area = None, float("inf")
    for frame in page.frames:
        if id(frame) in seen or not _descends(frame, parent):
            continue
        try:
            box = frame.frame_element().bounding_box()
        except Exception:  # noqa: BLE001 - a detached frame
            continue
        if box and box["x"] <= x < box["x"] + box["width"] and box["y"] <= y < box["y"] + box["height"]:
            area = box["width"] * box["height"]
            if area < best_area:
                best, best_area = frame, area
    return best


def _descends(frame: Any, ancestor: Any) -> bool:
    up = frame.parent_frame
    while up is not None:
        if up == ancestor:
            return True
        up = up.parent_frame
    return False


@dataclass
class _World:
    """A CDP session on a page or frame (Playwright's async object) and the isolated world
    last made in it."""

    session: Any
    frame_id: str
    context_id: int | None = None


_WORLDS: weakref.WeakKeyDictionary[Any, _World] = weakref.WeakKeyDictionary()


def _evaluate(page: Any, frame: Any, args: dict) -> dict | None:
    """Run the describing script in an isolated world of ``frame``; None when it cannot run.

    The session and the world are kept between calls (one round trip per call); a
    world gone with its document is made again in the same session, a session gone
    with its page (or a frame swapped to another process) is replaced and detached.
    """
    target = page if frame == page.main_frame else frame  # a frame: an out-of-process one
    for attempt in range(3):  # the kept world; a new world in the kept session; a new session
        try:
            world = _world(page, target, fresh=attempt == 2)
        except PageNotRespondingError:
            raise
        except Exception:  # noqa: BLE001 - not Chromium, or a cross-origin frame in the page's process
            return _evaluate_in_page_world(page, frame, args)
        if attempt == 1:
            world.context_id = None  # the document changed: its worlds went with it
        try:
            if world.context_id is None:
                made = _send(page, world.session, "Page.createIsolatedWorld", {
                    "frameId": world.frame_id, "worldName": WORLD})
                world.context_id = made["executionContextId"]
                _send(page, world.session, "Runtime.evaluate", {
                    "expression": f"globalThis.{_DEFINED} = ({DESCRIBE_JS}); 0",
                    "contextId": world.context_id, "returnByValue": True})
            result = _send(page, world.session, "Runtime.evaluate", {
                "expression": f"{_DEFINED}({json.dumps(args)})",
                "contextId": world.context_id, "returnByValue": True})
        except PageNotRespondingError:
            raise
        except Exception:  # noqa: BLE001 - the world or the session is gone: make them again
            continue
        if "exceptionDetails" in result:
            return None
        value = result.get("result", {}).get("value")
        return value if isinstance(value, dict) else None
    return None


def _forget(page: Any, target: Any) -> None:
    """Drop the world of ``target`` and detach its CDP session (best effort)."""
    world = _WORLDS.pop(target, None)
    if world is not None:
        try:
            _bounded(page, world.session.detach())
        except Exception:  # noqa: BLE001,S110 - already gone with its page
            pass


def _world(page: Any, target: Any, *, fresh: bool) -> _World:
    if fresh:
        _forget(page, target)
    world = _WORLDS.get(target)
    if world is None:
        session = _bounded(page, page.context._impl_obj.new_cdp_session(target._impl_obj))
        tree = _send(page, session, "Page.getFrameTree", {})
        world = _WORLDS[target] = _World(session, tree["frameTree"]["frame"]["id"])
    return world


def _evaluate_in_page_world(page: Any, frame: Any, args: dict) -> dict | None:
    """The fallback: the frame's own world (its scripts could interfere; better than nothing)."""
    try:
        value = _bounded(page, frame._impl_obj.evaluate(DESCRIBE_JS, args))
    except PageNotRespondingError:
        raise
    except Exception:  # noqa: BLE001 - a frame in mid-navigation
        return None
    return value if isinstance(value, dict) else None


def _send(page: Any, session: Any, method: str, params: dict) -> Any:
    """``session.send`` (Playwright's async CDPSession) with a deadline (it has none)."""
    return _bounded(page, cdp_send(session, method, params))


def _bounded(page: Any, call: Any) -> Any:
    """:func:`~guiagent.drivers.held_input.call_bounded` for at most
    :data:`DESCRIBE_TIMEOUT_S`; :class:`PageNotRespondingError` after that."""
    try:
        return call_bounded(page, call, DESCRIBE_TIMEOUT_S)
    except TimeoutError:
        raise PageNotRespondingError(
            f"the page did not answer within {DESCRIBE_TIMEOUT_S:g} s what the action would "
            "press: its script keeps the browser busy (the page stopped responding), so the "
            "action was not carried out. Reload the page or open another one.") from None
