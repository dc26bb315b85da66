"""A shop page on 127.0.0.1 whose buttons tell the server they were pressed, and a stand-in
model for the live-UI tests. The tests assert on what the site saw, not on our own records."""

from __future__ import annotations

import threading

from flask import Flask, request

from guiagent.serving import ThreadedWsgiServer
from guiagent.testing.model_server import ModelRequest, Reply, glm_answer

VIEWPORT = (1280, 720)
# Absolutely placed buttons: centres in CSS pixels of a 1280x720 viewport.
ORDER_CENTER, HELLO_CENTER, NAME_CENTER = (220, 130), (220, 330), (220, 480)

SHOP = """<!doctype html><title>Shop</title>
<style>button { position:absolute; left:100px; width:240px; height:60px; font-size:22px; }</style>
<button id=order style="top:100px" onclick="fetch('/seen', {method: 'POST', body: 'order'})">Place order</button>
<button id=hello style="top:300px" onclick="fetch('/seen', {method: 'POST', body: 'hello'})">Say hello</button>
<form style="position:absolute; left:100px; top:460px; margin:0"
      onsubmit="fetch('/seen', {method: 'POST', body: 'name:' + this.name.value}); return false">
  <input name=name style="width:240px; height:40px; font-size:22px; box-sizing:border-box"></form>
"""


def model_point(center: tuple[int, int]) -> str:
    """A CSS-pixel point as the model writes it (thousandths of the viewport)."""
    return f"[{round(center[0] / VIEWPORT[0] * 1000)},{round(center[1] / VIEWPORT[1] * 1000)}]"


class ShopSite:
    """The site, with what it saw and a way to wait for it."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._cond = threading.Condition()
        self.server = ThreadedWsgiServer(self._app(), name="ui-shop-site")

    @property
    def url(self) -> str:
        return self.server.origin + "/shop"

    def wait_for(self, what: str, timeout: float = 60) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: what in self.seen, timeout)

    def __enter__(self) -> ShopSite:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def _app(self) -> Flask:
        app = Flask("ui-shop-site")

        @app.get("/shop")
        def shop() -> str:
            return SHOP

        @app.post("/seen")
        def seen() -> str:
            with self._cond:
                self.seen.append(request.get_data(as_text=True))
                self._cond.notify_all()
            return "ok"

        return app


def shop_model(*, idle: bool, delay: float = 0.3):
    """Step 1 clicks "Place order"; then hovers (``idle``) or is done; DONE once a person acted."""

    def respond(req: ModelRequest) -> Reply:
        if "took control" in req.text:
            return Reply(glm_answer("DONE()", thinking="The person did it; the task is done."))
        if req.step == 1:
            return Reply(glm_answer(f"left_click(start_box='{model_point(ORDER_CENTER)}', "
                                    "element_info='Place order')",
                                    thinking="I press the order button."), delay=delay)
        if not idle:
            return Reply(glm_answer("DONE()", thinking="Ordered."))
        x = 500 + (req.step % 20) * 20  # never the same point twice in a row: not stuck
        return Reply(glm_answer(f"hover(start_box='[{x},900]', element_info='')",
                                thinking=f"I wait and look (step {req.step})."), delay=delay)

    return respond
