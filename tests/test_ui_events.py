"""The live UI's event hub keeps memory bounded: slow pages are cut off, huge streams capped."""

import asyncio
import threading

from guiagent.ui.events import KEPT_DELTA_CHARS, QUEUE_LIMIT, EventHub


async def _settled(loop: asyncio.AbstractEventLoop) -> None:
    """Every callback handed to ``loop`` before now has run (they run in order)."""
    done = loop.create_future()
    loop.call_soon_threadsafe(done.set_result, None)
    await done


def test_a_page_that_stops_reading_is_cut_off_and_catches_up_on_reconnect():
    async def main() -> None:
        loop = asyncio.get_running_loop()
        hub = EventHub()
        _, listener = hub.subscribe()
        assert listener is not None
        total = QUEUE_LIMIT * 3
        agent = threading.Thread(target=lambda: [hub.publish({"type": "screen", "version": i})
                                                 for i in range(total)])
        agent.start()  # the agent's thread is never held up by the page that does not read
        await asyncio.to_thread(agent.join, 30)
        assert not agent.is_alive()
        await _settled(loop)
        queued = [listener.queue.get_nowait() for _ in range(listener.queue.qsize())]
        assert listener.overflowed and len(queued) <= QUEUE_LIMIT + 1 and queued[-1] is None
        # the browser reconnects with the last id it saw and gets everything after it
        seen = max((item[0] for item in queued if item is not None), default=0)
        backlog, again = hub.subscribe(seen)
        assert [e["version"] for _, e in backlog] == list(range(seen, total))
        assert again is not None and not again.overflowed

    asyncio.run(main())


def test_a_huge_thinking_stream_is_kept_only_up_to_a_bound_for_late_joiners():
    hub = EventHub()
    piece = "x" * 1000
    for _ in range(KEPT_DELTA_CHARS // 1000 * 3):
        hub.publish({"type": "delta", "index": 1, "kind": "thinking", "text": piece})
    kept = sum(len(e["text"]) for e in hub.events() if e["type"] == "delta")
    assert KEPT_DELTA_CHARS - 1000 <= kept <= KEPT_DELTA_CHARS
    hub.publish({"type": "step", "index": 1})
    hub.publish({"type": "delta", "index": 2, "kind": "thinking", "text": piece})
    assert [e["index"] for e in hub.events() if e["type"] == "delta"] == [2]
