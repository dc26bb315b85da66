"""A Tk window that reports every input it receives, for testing desktop drivers.

Run ``python -m guiagent.sandboxes.desktop.probe_app --log FILE`` on a sandbox
display (or use :func:`guiagent.sandboxes.desktop.probe.launch_probe`). It
fills the screen with a text box (top) and a canvas (rest), and appends one
JSON object a line to ``FILE``: ``ready`` with the root-relative boxes of its
widgets, every button press/release (root coordinates, button number),
pointer motion while a button is held, every key press (keysym and modifier
state), and ``text`` with the full text box content whenever it changes.
A red square is drawn at ``--target X,Y`` (root pixels) so a test can find it
in a screenshot; Escape clears the text box. A driver test compares what it
meant to do with what X11 actually delivered.
"""

from __future__ import annotations

import argparse
import json
import tkinter as tk
from pathlib import Path
from typing import Any

TARGET_SIZE = 40


class Probe:
    """The probe window and its event log."""

    def __init__(self, log: Path, target: tuple[int, int] | None, geometry: str | None) -> None:
        self.log = log
        self.root = tk.Tk(className="guiagent-probe")
        self.root.title("guiagent probe")
        if geometry:
            self.root.geometry(geometry)
        else:
            self.root.attributes("-fullscreen", True)
        self.text = tk.Text(self.root, height=4, font=("DejaVu Sans", 14))
        self.text.pack(fill="x")
        self.canvas = tk.Canvas(self.root, background="white", highlightthickness=0)
        self.canvas.pack(fill="both", expand=True)
        self.target = target
        self.last_text = ""
        self.ready_sent = False
        for widget in (self.text, self.canvas):
            widget.bind("<ButtonPress>", self.on_button, add="+")
            widget.bind("<ButtonRelease>", self.on_button, add="+")
            widget.bind("<B1-Motion>", self.on_motion, add="+")
        # A tag of our own, first in line: Tk's "all" tag has <Alt-Key> bindings that
        # would hide a generic <KeyPress> bound there.
        self.text.bindtags(("probe-keys", *self.text.bindtags()))
        self.root.bind_class("probe-keys", "<KeyPress>", self.on_key)
        self.text.bind("<Escape>", self.clear)
        self.root.after(100, self.poll)

    def emit(self, **record: Any) -> None:
        """Append one event to the log."""
        with self.log.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def box(self, widget: tk.Widget) -> list[int]:
        """Root-relative (left, top, width, height) of a widget."""
        return [widget.winfo_rootx(), widget.winfo_rooty(),
                widget.winfo_width(), widget.winfo_height()]

    def on_button(self, event: tk.Event) -> None:
        """Record presses and releases (buttons 4/5 are wheel clicks on X11)."""
        kind = "press" if str(event.type) in ("ButtonPress", "4") else "release"
        self.emit(event=kind, button=event.num, x=event.x_root, y=event.y_root,
                  widget="text" if event.widget is self.text else "canvas")

    def on_motion(self, event: tk.Event) -> None:
        """Record drags."""
        self.emit(event="motion", x=event.x_root, y=event.y_root)

    def on_key(self, event: tk.Event) -> None:
        """Record key presses with the modifier state (1 shift, 4 control, 8 alt)."""
        self.emit(event="key", keysym=event.keysym, char=event.char, state=int(event.state))

    def clear(self, event: tk.Event) -> str:
        """Empty the text box so the next test starts from nothing."""
        self.text.delete("1.0", "end")
        return "break"

    def draw_target(self) -> None:
        """Draw the red square centred on the requested root pixel."""
        if self.target is None:
            return
        cx = self.target[0] - self.canvas.winfo_rootx()
        cy = self.target[1] - self.canvas.winfo_rooty()
        half = TARGET_SIZE // 2
        self.canvas.create_rectangle(cx - half, cy - half, cx + half, cy + half,
                                     fill="#ff0000", outline="#ff0000")

    def poll(self) -> None:
        """Announce readiness once mapped, then report text changes."""
        if not self.ready_sent and self.root.winfo_ismapped() and self.canvas.winfo_height() > 1:
            self.root.update_idletasks()
            self.draw_target()
            self.text.focus_force()
            self.emit(event="ready", text_box=self.box(self.text), canvas=self.box(self.canvas))
            self.ready_sent = True
        content = self.text.get("1.0", "end-1c")
        if content != self.last_text:
            self.last_text = content
            self.emit(event="text", text=content)
        self.root.after(50, self.poll)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run the Tk main loop."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--target", help="X,Y root pixel of the red square")
    parser.add_argument("--geometry", help="Tk geometry instead of full screen")
    args = parser.parse_args(argv)
    target = tuple(int(v) for v in args.target.split(",")) if args.target else None
    Probe(args.log, target, args.geometry).root.mainloop()  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
