"""Regenerate the overlay screenshots in docs/img/ (used by docs/browser.md).

    .venv/bin/python scripts/browser_overlay_shots.py

Opens a small page in the real browser driver, triggers a confirm dialog, a
prompt and a file chooser, and saves what the model sees, scaled down.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from PIL import Image

from guiagent.actions import LeftClick, Point
from guiagent.drivers.playwright import PlaywrightDriver
from guiagent.geometry import ScreenFrame, Size

PAGE = """<!doctype html><title>Records</title>
<body style="font: 18px system-ui; margin: 24px">
<h2>Records</h2>
<p>7 · Ada Lovelace <button id=remove onclick="confirm('Remove record 7?')">Remove record 7</button></p>
<p><button id=rename onclick="prompt('New name for record 8?', 'Grace')">Rename record 8</button></p>
<p><label>Attach your CV <input id=cv type=file></label></p></body>"""
OUT = Path(__file__).resolve().parent.parent / "docs" / "img"


def shoot(driver: PlaywrightDriver, selector: str, name: str) -> None:
    """Click ``selector``, save the overlay it opens as docs/img/overlay-NAME.png, cancel it."""
    size = driver.viewport
    frame = ScreenFrame(screenshot=size, surface=size)
    box = driver.page.locator(selector).bounding_box()
    x = round((box["x"] + box["width"] / 2) / size.width * 1000)
    y = round((box["y"] + box["height"] / 2) / size.height * 1000)
    driver.act(LeftClick(start_box=Point(x=x, y=y)), frame)
    shot = Image.open(io.BytesIO(driver.observe().data)).convert("RGB")
    shot.thumbnail((800, 450))
    shot.save(OUT / f"overlay-{name}.png", optimize=True)
    driver.act(LeftClick(start_box=_centre(driver, "[data-guiagent-button=dismiss]")), frame)


def _centre(driver: PlaywrightDriver, selector: str) -> Point:
    box = driver.page.locator(selector).bounding_box()
    size = driver.viewport
    return Point(x=round((box["x"] + box["width"] / 2) / size.width * 1000),
                 y=round((box["y"] + box["height"] / 2) / size.height * 1000))


def main() -> None:
    """Write the three overlay screenshots."""
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "records.html"
        page.write_text(PAGE, encoding="utf-8")
        cv = Path(tmp) / "cv-ada-lovelace.pdf"
        cv.write_bytes(b"%PDF-1.4\n" + b"0" * 48_000)
        notes = Path(tmp) / "cover-letter.txt"
        notes.write_text("Dear team,\n", encoding="utf-8")
        with PlaywrightDriver(page.as_uri(), viewport=Size(width=960, height=540),
                              image_format="png", upload_files=[cv, notes]) as driver:
            driver.observe()
            shoot(driver, "#remove", "confirm")
            shoot(driver, "#rename", "prompt")
            shoot(driver, "#cv", "file-picker")
    for png in sorted(OUT.glob("overlay-*.png")):
        print(png, png.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
