"""DOM grounding: find a target through the page's labels, roles and text.

Uses Playwright's user-facing locators (``get_by_label``, ``get_by_role``,
``get_by_placeholder``, ``get_by_text``), the same notions a person uses, in a
fixed order per purpose: buttons and links first for a click, labels and
placeholders first for a field. Exact matches are tried before substring ones.
The first strategy that matches anything decides: one visible match is the
target, several are an ambiguity reported with what they are. Forms that do
not tie labels to inputs (tables, plain text) are handled by pairing the text
with the nearest control to its right or below, as the eye does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from ..drivers.base import Driver, Observation
from ..geometry import ScreenFrame
from .dom_js import ELEMENT_INFO, SEEN_NAMES, VISUAL_LABEL
from .grounding import Box, Grounding, Miss
from .target import Purpose, Target

Make = Callable[[Any, bool], Any]  # (page, exact) -> Locator
CLICK_ROLES = ("button", "link", "menuitem", "tab", "option")
MAX_CANDIDATES = 8


def _by_role(role: str, name: str) -> Make:
    return lambda p, ex: p.get_by_role(role, name=name, exact=ex)


def _strategies(t: Target, purpose: Purpose) -> list[tuple[str, str, Make | None]]:
    """(strategy name, text matched, locator factory); a None factory is the visual pairing."""
    out: list[tuple[str, str, Make | None]] = []
    if t.role:
        name = t.text or t.label
        out.append((f"role {t.role}", name or "",
                    lambda p, ex: p.get_by_role(t.role, name=name, exact=ex) if name
                    else p.get_by_role(t.role)))
        return out
    name = t.label or t.text
    if purpose == "field" and name:
        out += [("label", name, lambda p, ex: p.get_by_label(name, exact=ex)),
                ("group", name, lambda p, ex: p.get_by_role("group", name=name, exact=ex)
                 .or_(p.get_by_role("radiogroup", name=name, exact=ex))),
                ("placeholder", name, lambda p, ex: p.get_by_placeholder(name, exact=ex)),
                ("visual label", name, None)]
    elif t.label:
        out.append(("label", t.label, lambda p, ex: p.get_by_label(t.label, exact=ex)))
    if t.placeholder:
        out.append(("placeholder", t.placeholder,
                    lambda p, ex: p.get_by_placeholder(t.placeholder, exact=ex)))
    text = t.text
    if text and purpose == "click":
        out += [(f"role {r}", text, _by_role(r, text)) for r in CLICK_ROLES]
        out += [("label", text, lambda p, ex: p.get_by_label(text, exact=ex)),
                ("text", text, lambda p, ex: p.get_by_text(text, exact=ex)),
                ("placeholder", text, lambda p, ex: p.get_by_placeholder(text, exact=ex)),
                ("title", text, lambda p, ex: p.get_by_title(text, exact=ex)),
                ("alt text", text, lambda p, ex: p.get_by_alt_text(text, exact=ex))]
    elif text and purpose == "read":
        out.append(("text", text, lambda p, ex: p.get_by_text(text, exact=ex)))
    return out


def find_elements(page: Any, target: Target, purpose: Purpose) -> tuple[str, list[Any]]:
    """The deciding strategy and its visible elements (empty if nothing matched)."""
    passes = (True,) if target.exact else (True, False)
    for exact in passes:
        for name, text, make in _strategies(target, purpose):
            if make is None:
                handle = page.evaluate_handle(VISUAL_LABEL, [text, exact]).as_element()
                found = [handle] if handle is not None else []
            else:
                loc = make(page, exact).filter(visible=True)
                found = [loc.nth(i) for i in range(min(loc.count(), MAX_CANDIDATES))]
            if found:
                return f"{name} ({'exact' if exact else 'substring'}) {text!r}", found
    return "", []


class DomGrounder:
    """Grounds targets on a Playwright page (any driver with a ``page`` attribute)."""

    name = "dom"

    def locate(self, target: Target, purpose: Purpose, obs: Observation,
               driver: Driver) -> Grounding | Miss:
        """Find the target's element and convert its box to model space."""
        page = getattr(driver, "page", None)
        if page is None:
            return Miss(grounder=self.name, reason="unavailable (not a browser page)")
        from playwright.sync_api import Error as PwError

        try:
            how, elements = find_elements(page, target, purpose)
            if not elements:
                return Miss(grounder=self.name, reason="not found", seen=page.evaluate(SEEN_NAMES))
            if target.nth is not None:
                if target.nth > len(elements):
                    return Miss(grounder=self.name, reason=f"only {len(elements)} match(es) for "
                                f"nth={target.nth}", seen=[_describe(e) for e in elements])
                elements = [elements[target.nth - 1]]
            if len(elements) > 1:
                return Miss(grounder=self.name,
                            reason=f"ambiguous: {len(elements)} elements match {how}; add "
                                   "nth, role or a longer text",
                            seen=[_describe(e) for e in elements])
            return element_grounding(elements[0], obs.frame, target, how)
        except PwError as exc:
            return Miss(grounder=self.name, reason=f"page error: {str(exc).splitlines()[0]}")


def element_grounding(element: Any, frame: ScreenFrame, target: Target, how: str,
                      *, confidence: float = 1.0) -> Grounding | Miss:
    """The grounding of one element handle or locator."""
    box = element.bounding_box()
    if box is None:
        return Miss(grounder="dom", reason=f"{how} matched an element without a box")
    info = element.evaluate(ELEMENT_INFO)
    cy = box["y"] + box["height"] / 2
    offscreen: Literal["above", "below"] | None = (
        "above" if cy < 0 else "below" if cy > frame.surface.height else None)
    model_box = Box.from_surface(frame, box["x"], box["y"], box["width"], box["height"])
    found = Grounding(grounder="dom", target=target.summary(), box=model_box,
                      confidence=confidence, matched=_describe(element, info), how=how,
                      element=info, offscreen=offscreen)
    found._handle = element
    return found


def _describe(element: Any, info: dict[str, Any] | None = None) -> str:
    info = info or element.evaluate(ELEMENT_INFO)
    name = info.get("text") or info.get("value") or info.get("name") or info.get("id") or ""
    kind = info["tag"] + (f"[type={info['type']}]" if info["tag"] == "input" else "")
    box = element.bounding_box() or {}
    where = f" at ({box.get('x', 0):.0f},{box.get('y', 0):.0f})" if box else ""
    return f"{kind} {name[:50]!r}{where}"
