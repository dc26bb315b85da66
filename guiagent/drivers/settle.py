"""Settling after an action: wait for the work the action started, and for nothing else.

A fixed pause is either too short (a form posts and the next screenshot shows
the old page) or too long (every click pays it). ``settle_watch.js``, installed
in every document, records what the page does after a trusted input event:
fetches and XHRs, short timers and animation frames (and what their callbacks
schedule in turn), finite CSS animations and transitions, DOM mutations, and
navigations (the Navigation API's ``navigate`` event). :func:`settle_page` asks
it, in one round trip, to resolve once that work is done; a page with nothing
pending answers at once. A page that keeps changing on its own (a clock, a
spinner, an infinite animation) is not waited for: work counts only when the
action started it, and waiting is bounded anyway.

When a navigation started, :func:`wait_for_new_document` waits for the new
document to commit (or for a download, a dialog, the page closing) and then for
its ``load`` event. Iframes are asked too, in the same round trip: a click in an
embedded form or widget starts its work there, and an iframe's navigation is
waited for in the same way.
"""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Any

from .held_input import DialogSignal, run_until_held

SETTLE_JS = resources.files("guiagent.drivers").joinpath("settle_watch.js").read_text("utf-8")
#: Longest wait for animation frames, timers and mutations the action started (ms).
FRAMES_CAP_MS = 1000
#: Longest wait for requests (fetch, XHR) the action started (ms).
NETWORK_CAP_MS = 5000
#: Longest wait for a started navigation to commit, and then to load (s).
COMMIT_TIMEOUT_S = 5.0
LOAD_TIMEOUT_S = 10.0
#: Events a page may say are on their way after an action (settle_watch.js ``expected``).
EXPECTABLE = frozenset({"filechooser", "download"})
#: Longest wait for a file chooser or download the page said is coming (s).
EXPECTED_EVENT_TIMEOUT_S = 3.0

_ASK = "([a, b, c]) => window.__guiagentSettle ? window.__guiagentSettle(a, b, c) : null"


def settle_page(page: Any, signal: DialogSignal | None, *, wheel: bool = False,
                frames_cap_ms: int = FRAMES_CAP_MS,
                network_cap_ms: int = NETWORK_CAP_MS) -> dict[str, Any]:
    """Wait for the work the last input started; what the page said about it.

    ``wheel``: the input was wheel events (the page sees them a moment after
    Chromium acknowledged them; the scroll follows).

    Every frame is asked at once (the watcher runs in each): input that went into an
    iframe starts work there, not in the main frame.

    The answer has ``why`` (``settled``, ``bounded``, ``navigating``, ``no input``,
    ``held``: a dialog opened, ``gone``: the document went away mid-wait, a
    navigation), ``navigating``, ``opened`` (new tabs the page asked for),
    ``expect`` (Playwright events on their way: ``filechooser``, ``download``) and
    ``frames_navigating`` (iframes whose document the input replaced or is replacing).
    """
    answers: list[Any] = []
    frames = list(page.frames)  # the main frame first; Playwright keeps them, no round trip

    async def ask(impl: Any) -> None:
        async def one(frame: Any) -> Any:
            try:
                return await frame._impl_obj.evaluate(_ASK, [frames_cap_ms, network_cap_ms, wheel])
            except Exception as exc:  # noqa: BLE001 - Playwright's Error, judged below
                return exc
        answers.extend(await asyncio.gather(*(one(f) for f in frames)))

    limit = (frames_cap_ms + network_cap_ms) / 1000 + 1.0
    try:
        held = run_until_held(page, ask, signal, limit)
    except Exception as exc:  # noqa: BLE001 - Playwright's Error: the page is gone
        gone = _gone(exc)
        return {"why": "gone" if gone else "error", "navigating": gone, "opened": 0}
    if held is not None:
        return {"why": "held", "navigating": False, "opened": 0}
    if not answers:
        return {"why": "no watcher", "navigating": False, "opened": 0}
    main, children = answers[0], list(zip(frames[1:], answers[1:], strict=True))
    if isinstance(main, Exception):  # the main document is gone (a navigation) or failed
        gone = _gone(main)
        return {"why": "gone" if gone else "error", "navigating": gone, "opened": 0}
    answer: dict[str, Any] = dict(main) if isinstance(main, dict) else {"why": "no watcher"}
    answer["navigating"] = bool(answer.get("navigating"))
    answer["opened"], answer["expect"] = _count(answer.get("opened")), sorted(
        _events(answer.get("expect")))
    answer["frames_navigating"] = []
    for frame, said in children:
        if isinstance(said, Exception):
            if _gone(said) and not frame.is_detached():  # its document was replaced
                answer["frames_navigating"].append(frame)
            continue
        if not isinstance(said, dict) or said.get("why") == "no input":
            continue
        if answer.get("why") in ("no input", "no watcher"):
            answer["why"] = said.get("why")
        answer["opened"] += _count(said.get("opened"))
        answer["expect"] = sorted(set(answer["expect"]) | _events(said.get("expect")))
        if said.get("navigating"):
            answer["frames_navigating"].append(frame)
    return answer


def _count(value: Any) -> int:
    """A count a frame's watcher answered (a frame's script could answer anything)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _events(value: Any) -> set[str]:
    """The Playwright events a frame said are on their way, of those the driver waits for."""
    return {v for v in value if v in EXPECTABLE} if isinstance(value, list) else set()


def _gone(exc: Exception) -> bool:
    """Whether an evaluate failed because its document went away."""
    text = str(exc).lower()
    return "context was destroyed" in text or "navigat" in text or "closed" in text or \
        "detached" in text


def aborted_navigation(request: Any) -> bool:
    """A main-frame navigation that ended without a new document: answered 204 or 205, or
    cancelled (``net::ERR_ABORTED``; other errors commit an error page, waited for)."""
    return (bool(request.is_navigation_request()) and request.frame.parent_frame is None
            and "ERR_ABORTED" in str(request.failure or ""))


def _counts(name: str, args: tuple[Any, ...], frame: Any = None) -> bool:
    """Whether an event ends the wait: ``framenavigated`` of the main frame only (of
    ``frame`` when given, and ``framedetached`` of it), and a ``requestfailed`` only for an
    aborted main-frame navigation."""
    if frame is not None and name in ("framenavigated", "framedetached"):
        return bool(args) and args[0] == frame
    if name == "framenavigated":
        return not args or getattr(args[0], "parent_frame", None) is None
    if name == "requestfailed":
        return aborted_navigation(args[0])
    return True


def wait_for_event(page: Any, names: tuple[str, ...], timeout: float,
                   frame: Any = None) -> str | None:
    """Run Playwright's loop until one of the page's events ``names`` fires; its name, or None.

    ``framenavigated``, ``framedetached`` and ``requestfailed`` count only as :func:`_counts`
    says.
    """
    loop = page._loop
    done: asyncio.Future[str] = loop.create_future()
    handlers = []
    for name in names:
        def handler(*args: Any, name: str = name) -> None:
            try:
                if not _counts(name, args, frame):
                    return
            except Exception:  # noqa: BLE001 - a request of a frame already gone
                return
            if not done.done():
                done.set_result(name)
        page.on(name, handler)
        handlers.append((name, handler))

    async def wait() -> str | None:
        try:
            return await asyncio.wait_for(asyncio.shield(done), timeout)
        except TimeoutError:
            return None

    try:
        return page._sync(wait())
    finally:
        for name, handler in handlers:
            page.remove_listener(name, handler)


def wait_for_new_document(page: Any, committed: bool, aborted: bool = False,
                          frame: Any = None) -> None:
    """After a navigation started (of the page, or of its iframe ``frame``): wait for it to
    commit (unless it has, or was aborted), then for ``load``."""
    if aborted and not committed:
        return
    if not committed:
        names = ("framenavigated", "download", "dialog", "close",
                 "framedetached" if frame is not None else "requestfailed")
        fired = wait_for_event(page, names, COMMIT_TIMEOUT_S, frame)
        if fired != "framenavigated":
            return
    (frame or page).wait_for_load_state("load", timeout=LOAD_TIMEOUT_S * 1000)
