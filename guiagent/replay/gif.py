"""An animated GIF of a run: one frame per step, the action drawn on each.

A GIF plays in any chat, issue tracker or slide, which is where a run gets
shown. Frames are scaled to ``width`` and carry a caption bar with the step
number and the action, so consecutive frames always differ (Pillow merges
identical frames, which would lose steps).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw

from ..errors import ConfigError
from ..files import write_atomic
from ..runlog import StepRecord, read_run
from .marks import draw_marks, label_font, pointer_after, step_marks
from .report import run_file

GIF_NAME = "run.gif"
CAPTION_CHARS = 110


def _caption(step: StepRecord) -> str:
    text = f"step {step.index}: {step.call or '(no action)'}"
    if step.error is not None:
        text += f"  [{step.error.type}]"
    return text if len(text) <= CAPTION_CHARS else text[:CAPTION_CHARS - 1] + "…"


def step_frames(run_dir: str | Path, width: int = 960) -> list[Image.Image]:
    """One captioned RGB frame per step that has a screenshot."""
    run_dir = Path(run_dir)
    _record, steps = read_run(run_dir)
    frames: list[Image.Image] = []
    last_point: tuple[float, float] | None = None
    for step in steps:
        path = run_file(run_dir, step.screenshot)
        if path is None:
            continue
        with Image.open(path) as shot:
            image = shot.convert("RGB")
        marks = step_marks(step, image.size, last_point)
        last_point = pointer_after(step, marks, last_point)
        drawn = draw_marks(image, marks)
        height = round(drawn.height * width / drawn.width)
        drawn = drawn.resize((width, height), Image.Resampling.LANCZOS)
        bar = max(20, width // 40)
        frame = Image.new("RGB", (width, height + bar), (27, 27, 31))
        frame.paste(drawn, (0, bar))
        ImageDraw.Draw(frame).text((8, bar // 2), _caption(step), fill="white",
                                   font=label_font(max(11, bar * 3 // 5)), anchor="lm")
        frames.append(frame)
    return frames


def write_gif(run_dir: str | Path, out: str | Path | None = None, *, width: int = 960,
              seconds_per_step: float = 1.5) -> Path:
    """Write the animation (GIF, or WebP if ``out`` ends in .webp); return its path."""
    run_dir = Path(run_dir)
    target = Path(out) if out else run_dir / GIF_NAME
    frames = step_frames(run_dir, width)
    if not frames:
        raise ConfigError(f"{run_dir} has no step screenshots to animate")
    buffer = io.BytesIO()
    frames[0].save(buffer, format="WEBP" if target.suffix.lower() == ".webp" else "GIF",
                   save_all=True, append_images=frames[1:], loop=0,
                   duration=round(seconds_per_step * 1000), optimize=False)
    return write_atomic(target, buffer.getvalue())  # never through a linked run.gif
