"""Own the X11 CLIPBOARD ourselves while text is pasted, to know when the app has read it.

xclip and xsel fork an owner and return at once, so the caller cannot tell when
the application has fetched the text. Pasting again too soon (the next
``type()``) lets a slow application read the newer text for the older paste:
seen in LibreOffice Calc on a loaded machine, where a table's first cell got
the second cell's text. :class:`SelectionOwner` serves the selection from a
thread of its own (with its own X connection, as python-xlib is not
thread-safe) and sets :attr:`~SelectionOwner.served` once a text target has
been written to the requesting window, so the driver waits exactly as long as
the paste needs. It keeps serving until it is stopped or another client takes
the selection, so a late request still gets the right text. Reads before
:meth:`~SelectionOwner.arm` (the moment before the paste key) do not count: a
clipboard manager on a real desktop reads every new selection at once.
"""

from __future__ import annotations

import contextlib
import io
import select
import threading
from typing import Any

from ..errors import DriverError

#: Text targets offered, best first; STRING is Latin-1 by ICCCM, the others carry UTF-8.
TEXT_TARGETS = ("UTF8_STRING", "text/plain;charset=utf-8", "TEXT", "text/plain", "STRING")
#: One ChangeProperty carries at most this much (X's core request limit is 256 KiB); larger
#: text would need the INCR protocol, which xclip speaks, so the driver falls back to it.
MAX_BYTES = 200_000


def xlib_available() -> bool:
    """True if python-xlib (the ``desktop`` extra) can be imported."""
    try:
        import Xlib.display  # noqa: F401
    except ImportError:
        return False
    return True


class SelectionOwner:
    """Serve ``text`` as the CLIPBOARD of ``display`` until :meth:`stop`."""

    def __init__(self, display: str, text: str, selection: str = "CLIPBOARD") -> None:
        self.display, self.text, self.selection = display, text, selection
        self.served = threading.Event()
        self.armed = threading.Event()
        self.targets_served: list[str] = []
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SelectionOwner:
        """Take the selection, then serve it from a thread; DriverError if that fails."""
        from Xlib import X, display

        if len(self.text.encode("utf-8")) > MAX_BYTES:
            raise ValueError(f"text over {MAX_BYTES} bytes needs xclip (INCR transfers)")
        try:
            # python-xlib prints a notice on stdout for an X server without a cookie (Xvfb).
            with contextlib.redirect_stdout(io.StringIO()):
                conn = display.Display(self.display)
        except Exception as exc:
            raise DriverError(f"cannot connect to X display {self.display} for the clipboard: "
                              f"{exc}") from exc
        try:
            atoms = {name: conn.intern_atom(name)
                     for name in (self.selection, "TARGETS", "TIMESTAMP", *TEXT_TARGETS)}
            window = conn.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
            window.set_selection_owner(atoms[self.selection], X.CurrentTime)
            if conn.get_selection_owner(atoms[self.selection]) != window:
                raise DriverError(f"another client kept the {self.selection} selection")
            conn.flush()
        except Exception as exc:
            conn.close()
            if isinstance(exc, DriverError):
                raise
            raise DriverError(f"could not take the clipboard of {self.display}: {exc}") from exc
        # From here on only the thread uses the connection.
        self._thread = threading.Thread(target=self._serve, args=(conn, atoms),
                                        name="guiagent-clipboard", daemon=True)
        self._thread.start()
        return self

    def arm(self) -> None:
        """From now on a text read sets :attr:`served` (call it just before the paste key)."""
        self.armed.set()

    def stop(self) -> None:
        """Stop serving (the selection then has no owner). Idempotent."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SelectionOwner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, conn: Any, atoms: dict[str, int]) -> None:
        from Xlib import X

        try:
            while not self._stop.is_set() and not self.lost:
                select.select([conn.fileno()], [], [], 0.05)
                while conn.pending_events() and not self.lost:
                    event = conn.next_event()
                    if event.type == X.SelectionRequest:
                        self._answer(conn, event, atoms)
                    elif event.type == X.SelectionClear:
                        self.lost = True
        except Exception:  # noqa: BLE001 - the display went away; nothing is left to serve
            self.lost = True
        finally:
            conn.close()

    def _answer(self, conn: Any, event: Any, atoms: dict[str, int]) -> None:
        from Xlib import X, Xatom
        from Xlib.protocol import event as xevent

        prop = event.property if event.property != X.NONE else event.target
        names = {v: k for k, v in atoms.items()}
        target = names.get(event.target)
        text_sent = False
        if target == "TARGETS":
            offered = [atoms["TARGETS"], atoms["TIMESTAMP"], *(atoms[t] for t in TEXT_TARGETS)]
            event.requestor.change_property(prop, Xatom.ATOM, 32, offered)
        elif target == "TIMESTAMP":
            event.requestor.change_property(prop, Xatom.INTEGER, 32, [X.CurrentTime])
        elif target == "STRING":
            event.requestor.change_property(prop, Xatom.STRING, 8,
                                            self.text.encode("latin-1", errors="replace"))
            text_sent = True
        elif target in TEXT_TARGETS:
            kind = atoms["UTF8_STRING"] if target == "TEXT" else event.target
            event.requestor.change_property(prop, kind, 8, self.text.encode("utf-8"))
            text_sent = True
        else:
            prop = X.NONE  # a target we do not offer: refuse it, as ICCCM says
        notify = xevent.SelectionNotify(time=event.time, requestor=event.requestor,
                                        selection=event.selection, target=event.target,
                                        property=prop)
        event.requestor.send_event(notify, event_mask=0, propagate=False)
        conn.flush()
        if text_sent and self.armed.is_set():
            self.targets_served.append(target or "?")
            self.served.set()
