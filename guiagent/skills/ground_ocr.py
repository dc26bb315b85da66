"""OCR grounding: find a target's text in the screenshot, on any driver.

This is what makes skills work on desktops without a model: the text of a
button, menu or label is read from the pixels, fuzzy-matched (OCR confuses
``l`` and ``I``), and its box becomes the point to click. A label found this
way is clicked on the label itself, which focuses the field in browsers and
many toolkits; when that is not enough, a skill should say where to click.
"""

from __future__ import annotations

from ..drivers.base import Driver, Observation
from ..errors import ConfigError
from .grounding import Box, Grounding, Miss
from .ocr import PASSES, OcrLine, TextMatch, match_text, read_lines
from .target import Purpose, Target

AMBIGUITY_MARGIN = 0.02
GOOD_ENOUGH = 0.95


class ScreenText:
    """The OCR of one observation, each pass computed at most once and reused."""

    def __init__(self) -> None:
        self._key: tuple[float, int] | None = None
        self._passes: dict[tuple[bool, int, int], list[OcrLine]] = {}

    def lines(self, obs: Observation, ocr_pass: tuple[bool, int, int] = PASSES[0]
              ) -> list[OcrLine]:
        """Phrases of the observation's screenshot (screenshot pixels) read by one pass."""
        key = (obs.captured_at, id(obs))
        if key != self._key:
            self._key, self._passes = key, {}
        if ocr_pass not in self._passes:
            binarise, scale, psm = ocr_pass
            self._passes[ocr_pass] = read_lines(obs.pil(), binarise=binarise, scale=scale,
                                                psm=psm)
        return self._passes[ocr_pass]

    def find(self, obs: Observation, text: str) -> list[TextMatch]:
        """Matches of ``text`` from the pass that reads it best.

        Passes stop at the first near-exact reading; a fuzzy one (a message
        quoting a button's words) lets later passes look for a better one.
        """
        best: list[TextMatch] = []
        for ocr_pass in PASSES:
            found = match_text(self.lines(obs, ocr_pass), text)
            if found and (not best or found[0].score > best[0].score):
                best = found
            if best and best[0].score >= GOOD_ENOUGH:
                break
        return best

    def seen(self, obs: Observation) -> list[str]:
        """Everything the passes run so far have read, for error messages."""
        out: list[str] = []
        for lines in self._passes.values() if self._key == (obs.captured_at, id(obs)) else []:
            out += [repr(ln.text) for ln in lines if len(ln.text) > 2 and repr(ln.text) not in out]
        return out


class OcrGrounder:
    """Grounds targets by reading the screenshot with tesseract."""

    name = "ocr"

    def __init__(self, text: ScreenText | None = None) -> None:
        self.text = text or ScreenText()

    def locate(self, target: Target, purpose: Purpose, obs: Observation,
               driver: Driver) -> Grounding | Miss:
        """Find the target's words; several equally good places are an ambiguity."""
        wanted = target.text or target.label or target.placeholder
        if not wanted:
            return Miss(grounder=self.name, reason="nothing to read: the target has no text")
        try:
            matches = self.text.find(obs, wanted)
            if not matches:
                return Miss(grounder=self.name, reason="not found", seen=self.text.seen(obs))
        except ConfigError as exc:
            return Miss(grounder=self.name, reason=f"unavailable: {exc}")
        if target.nth is not None:
            ordered = sorted(matches, key=lambda m: (round(m.box[1] / 8), m.box[0]))
            if target.nth > len(ordered):
                return Miss(grounder=self.name, reason=f"only {len(ordered)} match(es) for "
                            f"nth={target.nth}", seen=[repr(m.text) for m in ordered])
            best = ordered[target.nth - 1]
        else:
            best = matches[0]
            rivals = [m for m in matches[1:] if m.score >= best.score - AMBIGUITY_MARGIN]
            if rivals:
                return Miss(grounder=self.name,
                            reason=f"ambiguous: {len(rivals) + 1} places read like {wanted!r}; "
                                   "add nth or a longer text",
                            seen=[f"{m.text!r} at ({m.box[0]:.0f},{m.box[1]:.0f})"
                                  for m in [best, *rivals]])
        box = Box.from_screenshot(obs.frame, *best.box)
        return Grounding(grounder="ocr", target=target.summary(), box=box,
                         confidence=round(min(best.score, 1.0), 3), matched=best.text,
                         how=f"ocr phrase {best.line.text!r} (similarity {best.score:.2f}, "
                             f"tesseract {best.line.confidence:.2f})")
