"""Per-step overhead of guiagent's desktop driver versus the reference demos' way.

On an Xvfb sandbox at 1280x720 (with the Tk input probe receiving the
input), medians over N iterations of:

* guiagent: ``DesktopDriver.observe`` (mss grab over a kept X connection) and
  a PNG or JPEG encode; a click and a key through the pyautogui backend (XTEST
  over pyautogui's open connection) and through the xdotool backend (one
  ``xdotool`` process per action, commands chained).
* baseline, as reference computer-use demos do it: a screenshot tool process
  per step (``scrot`` writing a PNG, read back; else ``xwd -root`` decoded and
  encoded to PNG), and a shell running ``xdotool`` per action
  (``xdotool mousemove X Y click 1``, ``xdotool key Escape``).

The model's own time (seconds per step) is excluded; this is what the
framework adds around it. Usage:
``python benchmarks/desktop_step.py [--iterations N] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from guiagent.actions import Key, LeftClick, Point
from guiagent.drivers.desktop import DesktopDriver
from guiagent.imaging import encode_image
from guiagent.sandboxes.desktop import DesktopSandbox, launch_probe


def median_ms(fn: Callable[[], object], n: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def read_xwd(data: bytes) -> Image.Image:
    """Decode a 24/32-bit TrueColor XWD dump (what ``xwd -root`` writes on Xvfb)."""
    header = [int.from_bytes(data[i:i + 4], "big") for i in range(0, 100, 4)]
    header_size, width, height = header[0], header[4], header[5]
    bits_per_pixel, bytes_per_line, ncolors = header[11], header[12], header[19]
    if bits_per_pixel != 32:
        raise SystemExit(f"xwd baseline needs a 32 bpp dump, got {bits_per_pixel}")
    offset = header_size + ncolors * 12
    byte_order = header[7]  # 0 LSBFirst: BGRX in memory
    raw = "BGRX" if byte_order == 0 else "XRGB"
    return Image.frombytes("RGB", (width, height), data[offset:offset + bytes_per_line * height],
                           "raw", raw, bytes_per_line)


def baseline_capture(
    env: dict[str, str], workdir: Path, prefer: str = "scrot",
) -> tuple[str, Callable[[], bytes]]:
    """The screenshot-tool-per-step capture, with the preferred tool if installed."""
    if shutil.which("scrot") and prefer == "scrot":
        out = workdir / "shot.png"

        def scrot() -> bytes:
            subprocess.run(["scrot", "-o", str(out)], env=env, check=True)
            return out.read_bytes()

        return "scrot subprocess -> PNG file", scrot
    if shutil.which("xwd"):
        def xwd() -> bytes:
            dump = subprocess.run(["xwd", "-root", "-silent"], env=env, check=True,
                                  capture_output=True).stdout
            return encode_image(read_xwd(dump), "png")

        return "xwd subprocess -> decode -> PNG", xwd
    raise SystemExit("baseline needs scrot (apt-get install scrot) or xwd (apt-get install "
                     "x11-apps)")


def shell(command: str, env: dict[str, str]) -> None:
    subprocess.run(command, shell=True, env=env, check=True)


def measure(n: int, prefer: str = "scrot") -> tuple[list[dict[str, object]], str]:
    rows: list[dict[str, object]] = []
    with DesktopSandbox(size="1280x720") as sandbox, tempfile.TemporaryDirectory() as tmp:
        launch_probe(sandbox, Path(tmp) / "probe.jsonl")
        env = sandbox.env
        tool, capture = baseline_capture(env, Path(tmp), prefer)
        fast = DesktopDriver(display=sandbox.display, backend="pyautogui")
        proc = DesktopDriver(display=sandbox.display, backend="xdotool")
        # The cost of asking X who would take the input (focus, window at the point).
        unchecked = DesktopDriver(display=sandbox.display, backend="pyautogui",
                                  check_input=False)
        with fast, proc, unchecked:
            frame = fast.observe().frame
            click = LeftClick(start_box=Point(x=500, y=600))
            key = Key(keys="escape")

            def add(name: str, ours_label: str, ours: Callable[[], object],
                    base_label: str, base: Callable[[], object]) -> None:
                rows.append({"step": name, "guiagent": ours_label,
                             "guiagent_ms": median_ms(ours, n), "baseline": base_label,
                             "baseline_ms": median_ms(base, n)})

            base_click = "sh: xdotool mousemove+click"
            add("capture", "mss grab", fast.observe, "tool process", capture)
            add("capture + PNG", "mss grab + PNG", lambda: fast.observe().encoded("png"),
                "tool process (PNG)", capture)
            add("capture + JPEG q85", "mss grab + JPEG", lambda: fast.observe().encoded("jpeg"),
                "tool process (PNG)", capture)
            add("click", "pyautogui backend", lambda: fast.act(click, frame), base_click,
                lambda: shell("xdotool mousemove 640 432 click 1", env))
            add("click", "pyautogui, no input check", lambda: unchecked.act(click, frame),
                base_click, lambda: shell("xdotool mousemove 640 432 click 1", env))
            add("click", "xdotool backend", lambda: proc.act(click, frame), base_click,
                lambda: shell("xdotool mousemove 640 432 click 1", env))
            add("key", "pyautogui backend", lambda: fast.act(key, frame),
                "sh: xdotool key", lambda: shell("xdotool key Escape", env))
            add("key", "pyautogui, no input check", lambda: unchecked.act(key, frame),
                "sh: xdotool key", lambda: shell("xdotool key Escape", env))
            add("key", "xdotool backend", lambda: proc.act(key, frame),
                "sh: xdotool key", lambda: shell("xdotool key Escape", env))

            def ours_step() -> None:
                fast.observe().encoded("jpeg")
                fast.act(click, frame)

            def base_step() -> None:
                capture()
                shell("xdotool mousemove 640 432 click 1", env)

            add("step: capture+encode+click", "mss+JPEG+pyautogui", ours_step,
                "tool process + sh", base_step)
    return rows, tool


def show(rows: list[dict[str, object]], n: int, tool: str) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a core dependency
        for r in rows:
            print(r)
        return
    table = Table(title=f"Desktop step overhead, 1280x720 Xvfb, median of {n} (ms)")
    for col in ("step", "guiagent", "ms", "baseline", "ms ", "ratio"):
        table.add_column(col, justify="right" if col.startswith("ms") or col == "ratio"
                         else "left", no_wrap=True)
    for r in rows:
        ours, base = float(r["guiagent_ms"]), float(r["baseline_ms"])  # type: ignore[arg-type]
        table.add_row(str(r["step"]), str(r["guiagent"]), f"{ours:.1f}", str(r["baseline"]),
                      f"{base:.1f}", f"{base / ours:.1f}x")
    console = Console(width=120)
    console.print(table)
    console.print(f"baseline capture: {tool}; baseline actions: a shell running xdotool per "
                  "action. ratio = baseline / guiagent.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--baseline-tool", choices=["scrot", "xwd"], default="scrot",
                        help="screenshot program of the baseline (falls back to xwd)")
    args = parser.parse_args()
    rows, tool = measure(args.iterations, args.baseline_tool)
    show(rows, args.iterations, tool)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
