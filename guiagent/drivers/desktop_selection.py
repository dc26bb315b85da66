"""Own the X11 CLIPBOARD ourselves while text is pasted, to know when the app has read it.

xclip and xsel fork an owner and return at once, so the caller cannot tell when
the application has fetched the text. Pasting again too soon (the next
``type()``) lets a slow application read the newer text for the older paste:
seen in LibreOffice Calc on a loaded machine, where a table's first cell got
the second cell's text.

:class:`SelectionOwner` keeps one X connection and one serving thread for the
driver's life (python-xlib is not thread-safe, so only that thread touches the
connection; opening one costs ~30 ms, too much per paste). Each paste is an
:meth:`~SelectionOwner.offer`: the thread takes the selection with the new
text, and the returned :class:`Offer` sets ``served`` once a text target has
been written to the requesting window, so the driver waits exactly as long as
the paste needs. The text keeps being served until the next offer, so a late
request still gets the right text. Reads before :meth:`Offer.arm` (the moment
before the paste key) do not count: a clipboard manager on a real desktop
reads every new selection at once.
"""

from __future__ import annotations

import contextlib
import io
import os
import select
import threading
from dataclasses import dataclass, field
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


@dataclass
class Offer:
    """One text put on the clipboard, and what became of it."""

    text: str
    taken: threading.Event = field(default_factory=threading.Event)
    armed: threading.Event = field(default_factory=threading.Event)
    served: threading.Event = field(default_factory=threading.Event)
    targets_served: list[str] = field(default_factory=list)
    lost: bool = False  # another client took the selection
    withdrawn: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def arm(self) -> None:
        """From now on a text read sets :attr:`served` (call it just before the paste key)."""
        self.armed.set()

    def withdraw(self) -> None:
        """Refuse every later request: the paste was reported as not taken."""
        self.withdrawn.set()


class SelectionOwner:
    """Serves offered texts as the CLIPBOARD of ``display`` until :meth:`stop`."""

    def __init__(self, display: str, selection: str = "CLIPBOARD") -> None:
        self.display, self.selection = display, selection
        self.current: Offer | None = None  # only the serving thread changes it
        self._pending: Offer | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake: tuple[int, int] | None = None  # a pipe that ends the thread's select at once
        self._thread: threading.Thread | None = None

    def start(self) -> SelectionOwner:
        """Connect and start serving; DriverError if the display cannot be reached."""
        from Xlib import X, display

        try:
            # python-xlib prints a notice on stdout for an X server without a cookie (Xvfb).
            with contextlib.redirect_stdout(io.StringIO()):
                conn = display.Display(self.display)
            atoms = {name: conn.intern_atom(name)
                     for name in (self.selection, "TARGETS", "TIMESTAMP", *TEXT_TARGETS)}
            window = conn.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
            conn.flush()
        except Exception as exc:
            raise DriverError(f"cannot use X display {self.display} for the clipboard: "
                              f"{exc}") from exc
        self._wake = os.pipe()
        self._thread = threading.Thread(target=self._serve, args=(conn, window, atoms),
                                        name="guiagent-clipboard", daemon=True)
        self._thread.start()
        return self

    def offer(self, text: str, timeout: float = 30.0) -> Offer:
        """Take the selection with ``text``; returns once it is ours (DriverError if not)."""
        if len(text.encode("utf-8")) > MAX_BYTES:
            raise ValueError(f"text over {MAX_BYTES} bytes needs xclip (INCR transfers)")
        if self._wake is None:
            raise DriverError("the clipboard owner is not running: call start() first")
        new = Offer(text)
        with self._lock:
            self._pending = new
        os.write(self._wake[1], b"o")
        if not new.taken.wait(timeout):
            raise DriverError(f"could not take the clipboard of {self.display} in {timeout:g}s")
        if new.error is not None:
            raise DriverError(f"could not take the clipboard of {self.display}: "
                              f"{new.error}") from new.error
        return new

    def stop(self) -> None:
        """Stop serving (the selection then has no owner). Idempotent."""
        self._stop.set()
        if self._wake is not None:
            os.write(self._wake[1], b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._wake is not None:
            for fd in self._wake:
                os.close(fd)
            self._wake = None

    def __enter__(self) -> SelectionOwner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the serving thread ---------------------------------------------------
    def _serve(self, conn: Any, window: Any, atoms: dict[str, int]) -> None:
        from Xlib import X

        assert self._wake is not None
        names = {v: k for k, v in atoms.items()}
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([conn.fileno(), self._wake[0]], [], [])
                if self._wake[0] in ready:
                    os.read(self._wake[0], 64)
                    self._take(conn, window, atoms)
                while conn.pending_events():
                    event = conn.next_event()
                    if event.type == X.SelectionRequest:
                        self._answer(conn, event, atoms, names)
                    elif event.type == X.SelectionClear and self.current is not None:
                        self.current.lost = True
                        self.current = None
        except Exception as exc:  # noqa: BLE001 - the display went away; nothing is left to serve
            with self._lock:
                if self._pending is not None:
                    self._pending.error = exc
                    self._pending.taken.set()
        finally:
            conn.close()

    def _take(self, conn: Any, window: Any, atoms: dict[str, int]) -> None:
        from Xlib import X

        with self._lock:
            offer, self._pending = self._pending, None
        if offer is None:
            return
        try:
            window.set_selection_owner(atoms[self.selection], X.CurrentTime)
            if conn.get_selection_owner(atoms[self.selection]) != window:
                raise DriverError(f"another client kept the {self.selection} selection")
            self.current = offer
        except Exception as exc:  # noqa: BLE001 - reported by offer()
            offer.error = exc
        offer.taken.set()

    def _answer(self, conn: Any, event: Any, atoms: dict[str, int],
                names: dict[int, str]) -> None:
        from Xlib import X, Xatom
        from Xlib.protocol import event as xevent

        offer = self.current
        prop = event.property if event.property != X.NONE else event.target
        target = names.get(event.target)
        text_sent = False
        if offer is None or offer.withdrawn.is_set():
            prop = X.NONE  # nothing offered any more
        elif target == "TARGETS":
            offered = [atoms["TARGETS"], atoms["TIMESTAMP"], *(atoms[t] for t in TEXT_TARGETS)]
            event.requestor.change_property(prop, Xatom.ATOM, 32, offered)
        elif target == "TIMESTAMP":
            event.requestor.change_property(prop, Xatom.INTEGER, 32, [X.CurrentTime])
        elif target == "STRING":
            event.requestor.change_property(prop, Xatom.STRING, 8,
                                            offer.text.encode("latin-1", errors="replace"))
            text_sent = True
        elif target in TEXT_TARGETS:
            kind = atoms["UTF8_STRING"] if target == "TEXT" else event.target
            event.requestor.change_property(prop, kind, 8, offer.text.encode("utf-8"))
            text_sent = True
        else:
            prop = X.NONE  # a target we do not offer: refuse it, as ICCCM says
        notify = xevent.SelectionNotify(time=event.time, requestor=event.requestor,
                                        selection=event.selection, target=event.target,
                                        property=prop)
        event.requestor.send_event(notify, event_mask=0, propagate=False)
        conn.flush()
        if text_sent and offer is not None and offer.armed.is_set():
            offer.targets_served.append(target or "?")
            offer.served.set()
