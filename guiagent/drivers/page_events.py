"""The browser driver's side of page events: dialogs, file choosers, downloads, tabs.

A mixin of :class:`~guiagent.drivers.playwright.PlaywrightDriver`, kept apart
so the driver stays about input and screenshots. Everything that happens is
gathered into a :class:`~.page_records.PageEvents` that the agent takes after
each step (:meth:`PageEventsMixin.collect_page_events`): recorded on the step,
its notes told to the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from ..actions import Action, Key, LeftClick, LeftDoubleClick, Type
from ..allowlist import url_for_note
from ..errors import ActionRefusedError, DriverError
from ..geometry import ScreenFrame
from ..keys import parse_combo
from .base import ActionResult, without_typed_text
from .held_input import finish_held, perform, run_until_held
from .overlay import Pending
from .page_files import UploadFile, find_upload, save_download
from .page_records import DialogRecord, PageEvents, TabRecord, human_size


class PageEventsMixin:
    """Holds dialogs and choosers for the overlay, keeps downloads and follows tabs."""

    # Provided by the driver.
    context: Any
    overlay: Any
    uploads: list[UploadFile]
    _page: Any
    _signal: Any
    _navigating: bool
    _last_shot: tuple[bytes, str] | None
    _capture_kwargs: Any
    _settle: Any
    _on_frame_navigated: Any

    def reset_page_events(self) -> None:
        """Forget everything pending (a new browser)."""
        self._pending: list[Pending] = []
        self._shown: Pending | None = None
        self._held: Any = None
        self._downloads: list[Any] = []
        self._events = PageEvents()
        self._attached: set[int] = set()

    # -- events from Playwright -------------------------------------------------------------

    def _attach(self, page: Any) -> None:
        if id(page) in self._attached:
            return
        self._attached.add(id(page))
        page.on("dialog", self._on_dialog)
        page.on("filechooser", self._on_chooser)
        page.on("download", self._on_download)
        page.on("close", self._on_close)
        page.on("framenavigated", self._on_frame_navigated)

    def _on_new_page(self, page: Any) -> None:
        """Popups and target=_blank links: follow them like a person would."""
        self._attach(page)
        if self._page is None or page is self._page:
            self._page = page
            return
        self._page = page
        self._navigating = True
        self._events.notes.append("A new tab opened and the screen now shows it; press "
                                  "alt+left to close it and go back to the previous tab.")

    def _on_download(self, download: Any) -> None:
        self._downloads.append(download)

    def _on_close(self, page: Any) -> None:
        if page is not self._page or self.context is None:
            return
        open_pages = [p for p in self.context.pages if not p.is_closed() and p is not page]
        if open_pages:
            self._page = open_pages[-1]
            shown = url_for_note(self._page.url)
            self._events.notes.append(f"The tab closed; the screen shows {shown} again.")

    def _on_dialog(self, dialog: Any) -> None:
        try:
            url = dialog.page.url if dialog.page is not None else ""
        except Exception:  # noqa: BLE001 - a closing page
            url = ""
        self._pending.append(Pending(kind=dialog.type, message=dialog.message,
                                     default_value=dialog.default_value, url=url, dialog=dialog))
        if self._signal is not None:
            self._signal.fire()

    def _on_chooser(self, chooser: Any) -> None:
        self._pending.append(Pending(kind="file", chooser=chooser, files=list(self.uploads),
                                     url=chooser.page.url))

    # -- the overlay ------------------------------------------------------------------------

    def show_pending(self) -> bool:
        """Put the first waiting dialog or chooser on the overlay; True if one is shown."""
        if self._shown is not None:
            return True
        if not self._pending or self.overlay is None:
            return False
        pending = self._pending[0]
        background, mime = self._last_shot or (None, "image/png")
        if pending.kind == "file":  # the page is not frozen: show it as it is now
            try:
                background = self._page.screenshot(**self._capture_kwargs())
                mime = f"image/{self._capture_kwargs()['type']}"
            except Exception:  # noqa: BLE001,S110 - the last screenshot will do
                pass
        self.overlay.show(pending, background, mime)
        self._shown = pending
        self._events.notes.append(pending.describe())
        return True

    def act_on_overlay(self, action: Action, frame: ScreenFrame) -> ActionResult:
        """Send the action to the overlay; resolve the dialog or chooser once it is answered."""
        make, result = perform(action, frame)
        try:
            run_until_held(self.overlay.page, make, None, 10.0)
            answer = self.overlay.answer()
        except Exception as exc:  # noqa: BLE001 - Playwright's Error
            # typed text (a secret, once substituted) never goes into an error message
            raise DriverError(without_typed_text(action, f"{action.action} failed on the dialog: "
                                                         f"{exc}")) from None
        shown = self._shown
        if answer is None or shown is None:
            result.detail += " (on the dialog; not answered yet)"
            return result
        result.detail += "; " + self._resolve(shown, answer)
        return result

    def _resolve(self, shown: Pending, answer: dict[str, Any]) -> str:
        self._pending.remove(shown)
        self._shown = None
        accept = bool(answer.get("accept"))
        if shown.kind == "file":
            index = answer.get("file")
            if accept and isinstance(index, int) and 0 <= index < len(shown.files):
                return self._upload(shown, shown.files[index])
            self._events.notes.append("The file chooser was closed; no file was chosen.")
            self._after_answer()
            return "file chooser cancelled"
        text = answer.get("text") if shown.kind == "prompt" and accept else None
        try:
            if accept:
                shown.dialog.accept(str(text) if text is not None else None)
            else:
                shown.dialog.dismiss()
        except Exception:  # noqa: BLE001,S110 - the page went away meanwhile; record the answer
            pass
        word: Literal["accepted", "dismissed"] = "accepted" if accept else "dismissed"
        self._events.dialogs.append(DialogRecord(
            kind=shown.kind, message=shown.message, default_value=shown.default_value,
            answer=word, text=text if isinstance(text, str) else None, url=shown.url))
        self._after_answer()
        return f"{shown.kind} dialog {word}"

    def _upload(self, shown: Pending, file: UploadFile) -> str:
        try:
            shown.chooser.set_files(str(file.path))
        except Exception as exc:  # noqa: BLE001 - Playwright's Error
            raise DriverError(f"cannot give {file.name} to the page: {exc}") from exc
        self._events.uploads.append(file.record())
        self._events.notes.append(f"{file.name} ({human_size(file.size)}) was chosen for upload.")
        self._after_answer()
        return f"chose {file.name}"

    def _after_answer(self) -> None:
        """Let the input a dialog held finish, then let the page settle."""
        if self._signal is not None:
            self._signal.rearm()
            if any(p.dialog is not None for p in self._pending):
                self._signal.fire()
        if self._held is not None:
            self._held = finish_held(self._page, self._held, self._signal)
        if self._held is None and not self._pending:
            self._settle()
        self.show_pending()

    def confirmation_text(self, action: Action, frame: ScreenFrame) -> str | None:
        """For the guard: the message of the confirm dialog this action would accept, else None."""
        shown = self._shown
        if shown is None or shown.kind != "confirm":
            return None
        accepts = False
        if isinstance(action, LeftClick | LeftDoubleClick):
            p = frame.resolve(action.start_box.x, action.start_box.y).surface
            accepts = self.overlay.accepts_at(p.x, p.y)
        elif isinstance(action, Key):
            accepts = "enter" in parse_combo(action.keys)
        elif isinstance(action, Type):
            accepts = "\n" in action.content or "\r" in action.content
        return f"confirm dialog: {shown.message}" if accepts else None

    def choose_upload(self, file: str) -> ActionResult:
        """Answer the open file chooser with a declared file (skills' ``upload:`` step)."""
        wanted = find_upload(self.uploads, file)  # ActionRefusedError for anything else
        self.show_pending()
        shown = self._shown
        if shown is None or shown.kind != "file":
            raise ActionRefusedError("no file chooser is open: click the file field first")
        self._pending.remove(shown)
        self._shown = None
        return ActionResult(detail=self._upload(shown, wanted))

    # -- tabs and history -------------------------------------------------------------------

    def history(self, keys: str) -> ActionResult:
        """``alt+left``: back (or close a tab with no history); ``alt+right``: forward."""
        page = self._page
        try:
            if "right" in parse_combo(keys):
                moved = page.go_forward(wait_until="load", timeout=10_000)
                return ActionResult(detail="went forward" if moved else "nothing to go forward to")
            if page.go_back(wait_until="load", timeout=10_000) is not None:
                return ActionResult(detail="went back")
        except Exception as exc:  # noqa: BLE001 - Playwright's Error
            raise DriverError(f"cannot go {'forward' if 'right' in keys else 'back'}: {exc}") from exc
        others = [p for p in self.context.pages if p is not page and not p.is_closed()]
        if not others:
            return ActionResult(detail="nothing to go back to")
        page.close()
        if self._page is page:  # the close event has not arrived yet
            self._page = others[-1]
        self._page.bring_to_front()
        return ActionResult(detail=f"closed the tab; back to {url_for_note(self._page.url)}")

    def _tabs(self) -> list[TabRecord]:
        if self.context is None:
            return []
        tabs = []
        for p in self.context.pages:
            if not p.is_closed():
                tabs.append(TabRecord(url=p.url, active=p is self._page))
        return tabs

    def collect_page_events(self, run_dir: str | Path) -> PageEvents | None:
        """What happened since the last call, downloads saved into ``run_dir/downloads``."""
        events, self._events = self._events, PageEvents()
        downloads, self._downloads = self._downloads, []
        for download in downloads:
            record = save_download(download, Path(run_dir))
            events.downloads.append(record)
            if record.error:
                events.notes.append(f"A download of {record.name} failed: {record.error}")
            else:
                events.notes.append(f"The file {record.name} ({human_size(record.size)}, "
                                    f"{record.type}) was downloaded and saved.")
        events.tabs = self._tabs()
        return events if events else None
