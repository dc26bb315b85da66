"""The UI's routes (Starlette): pages, the JSON API, server-sent events, reports.

Everything a route returns about a run comes from the model, the page the
agent works on, or someone's run folder: the API returns it as JSON data and
the page's script puts it into the document as text (``textContent``), never
as markup. Reports are rendered afresh by guiagent's own autoescaped
templates (never served from the folder as they are) and served with a
``sandbox`` Content-Security-Policy, so even a report's own script runs in an
opaque origin that cannot call this API.
"""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..actions import Action, Key, LeftClick, LeftDoubleClick, Point, RightClick, Scroll, Type
from ..errors import ActionRefusedError, ConfigError, GuiAgentError
from ..keys import parse_combo
from .control import NotTakenOverError
from .events import sse_message
from .runs import NAME, RunManager, StartRequest, past_runs, protocol_names

KEEP_ALIVE = 15.0
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
REPORT_CSP = "sandbox allow-scripts; default-src 'none'; img-src data:; style-src 'unsafe-inline'; " \
             "script-src 'unsafe-inline'"


class ActRequest(BaseModel):
    """A person's action on the live screenshot (points in pixels of screen ``version``)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern="^(click|double_click|right_click|scroll|type|key)$")
    version: int | None = None
    x: float | None = None
    y: float | None = None
    text: str | None = Field(default=None, max_length=10_000)
    keys: str | None = Field(default=None, max_length=100)
    direction: str | None = Field(default=None, pattern="^(up|down)$")


class ConfirmAnswer(BaseModel):
    """The page's answer to a held confirmation."""

    id: int
    allow: bool


def _static(name: str) -> bytes:
    return resources.files("guiagent.ui").joinpath("static", name).read_bytes()


def _page(name: str, media_type: str) -> Response:
    return Response(_static(name), media_type=media_type,
                    headers={"content-security-policy": PAGE_CSP, "cache-control": "no-store",
                             "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"})


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(await request.json())
    except ValueError as exc:  # ValidationError is a ValueError; so is bad JSON
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise ConfigError(f"{where}: {first['msg']}") from exc
        raise ConfigError("the request body is not JSON") from exc


def build_app(manager: RunManager, *, single_run: str | None = None) -> Starlette:
    """The UI for the runs of ``manager`` (``single_run``: the page of ``run --live`` opens it)."""

    def live_run(request: Request) -> Any:
        run = manager.get(request.path_params["run_id"])
        if run is None:
            raise LookupError("no live run with that id (it may have ended before this server started)")
        return run

    async def index(request: Request) -> Response:
        return _page("index.html", "text/html; charset=utf-8")

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        types = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
        if name not in types:
            return _error(404, "no such file")
        return _page(name, types[name])

    async def list_runs(request: Request) -> Response:
        past = await run_in_threadpool(past_runs, manager.root)
        return JSONResponse({"live": [r.summary() for r in manager.live()], **past,
                             "root": str(manager.root), "protocols": protocol_names(),
                             "single_run": single_run})

    async def start_run(request: Request) -> Response:
        form = await _json(request, StartRequest)
        run = await run_in_threadpool(manager.start, form)
        return JSONResponse({"id": run.id, "page": f"/live/{run.id}"}, status_code=201)

    async def events(request: Request) -> Response:
        run = live_run(request)
        try:
            after = int(request.headers.get("last-event-id", "0"))
        except ValueError:
            after = 0
        backlog, listener = run.hub.subscribe(after)

        async def stream() -> Any:
            try:
                for seq, event in backlog:
                    yield sse_message(seq, event)
                while listener is not None:
                    try:
                        item = await asyncio.wait_for(listener.queue.get(), KEEP_ALIVE)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    if item is None:
                        break
                    yield sse_message(*item)
            finally:
                if listener is not None:
                    run.hub.unsubscribe(listener)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    async def screen(request: Request) -> Response:
        run = live_run(request)
        found = run.control.screen(int(request.path_params["version"]))
        if found is None:
            return _error(404, "that screenshot is no longer kept; a newer one is shown")
        return Response(found[0], media_type=found[1],
                        headers={"cache-control": "private, max-age=3600",
                                 "x-content-type-options": "nosniff"})

    async def command(request: Request) -> Response:
        run = live_run(request)
        name = request.path_params["command"]
        actions = {"pause": run.control.pause, "resume": run.control.resume,
                   "stop": run.control.stop, "take-over": run.control.take_over,
                   "give-back": run.control.resume}
        if name not in actions:
            return _error(404, f"no command {name!r}")
        actions[name]()
        return JSONResponse({"state": run.control.state})

    async def confirm(request: Request) -> Response:
        run = live_run(request)
        answer = await _json(request, ConfirmAnswer)
        if not run.control.answer(answer.id, answer.allow):
            return _error(409, "that confirmation is no longer open (answered or timed out)")
        return JSONResponse({"ok": True})

    async def act(request: Request) -> Response:
        run = live_run(request)
        body = await _json(request, ActRequest)
        run.control.submit(person_action(body, run.control))
        return JSONResponse({"queued": True}, status_code=202)

    async def run_report(request: Request) -> Response:
        folder = folder_in(manager.root, request.path_params["name"], "run.json")
        if folder is None:
            return _error(404, "no run folder of that name")
        from ..replay import render_report

        html = await run_in_threadpool(render_report, folder)
        return _report(html)

    async def eval_page(request: Request) -> Response:
        rest = request.path_params["rest"]
        folder = folder_in(manager.root, request.path_params["name"], "results.jsonl")
        if folder is None:
            return _error(404, "no results folder of that name")
        if rest == "report.html":
            from ..eval.report import render_eval_report

            return _report(await run_in_threadpool(render_eval_report, folder))
        # an episode's run report, linked from the results page: only inside the folder
        target = (folder / rest).parent
        reads = (target, target / "run.json", target / "steps.jsonl")
        if (not rest.endswith("/report.html") or not (target / "run.json").is_file()
                or not all(_stays_in(folder, path) for path in reads)):
            return _error(404, "no run report there")
        from ..replay import render_report

        return _report(await run_in_threadpool(render_report, target))

    routes = [
        Route("/", index), Route("/live/{run_id}", index), Route("/static/{name}", asset),
        Route("/api/runs", list_runs), Route("/api/runs", start_run, methods=["POST"]),
        Route("/api/runs/{run_id}/events", events),
        Route("/api/runs/{run_id}/screen/{version:int}", screen),
        Route("/api/runs/{run_id}/confirm", confirm, methods=["POST"]),
        Route("/api/runs/{run_id}/act", act, methods=["POST"]),
        Route("/api/runs/{run_id}/{command}", command, methods=["POST"]),
        Route("/runs/{name}/report.html", run_report),
        Route("/evals/{name}/{rest:path}", eval_page),
    ]
    handlers: Any = {
        LookupError: lambda req, exc: _error(404, str(exc)),
        NotTakenOverError: lambda req, exc: _error(409, str(exc)),
        GuiAgentError: lambda req, exc: _error(400, str(exc)),
    }
    return Starlette(routes=routes, exception_handlers=handlers)


def _stays_in(root: Path, path: Path) -> bool:
    """``path`` is inside ``root`` once every link on the way is followed."""
    return path.resolve().is_relative_to(root.resolve())


def folder_in(root: Path, name: str, marker: str) -> Path | None:
    """``root/name`` when it is a folder inside ``root`` holding ``marker``; None otherwise.

    Someone else's runs folder may hold links: a folder, or a file the report
    reads (``marker``, ``steps.jsonl``), that leads outside ``root`` is not
    served, nor read.
    """
    folder = root / name
    if not NAME.match(name) or not (folder / marker).is_file():
        return None
    reads = (folder, folder / marker, folder / "steps.jsonl")
    return folder if all(_stays_in(root, path) for path in reads) else None


def _report(html: str) -> Response:
    return HTMLResponse(html, headers={"content-security-policy": REPORT_CSP,
                                       "x-content-type-options": "nosniff"})


def person_action(body: ActRequest, control: Any) -> Action:
    """The action a person asked for, in the model's 0-1000 space of the screen they saw."""
    if body.kind == "type":
        if not body.text:
            raise ConfigError("type: give the text to type")
        return Type(content=body.text)
    if body.kind == "key":
        if not body.keys:
            raise ConfigError("key: give the keys to press, such as ctrl+a or enter")
        try:
            parse_combo(body.keys)
        except ActionRefusedError as exc:
            raise ConfigError(f"key: {exc}") from exc
        return Key(keys=body.keys)
    if body.version is None or body.x is None or body.y is None:
        raise ConfigError(f"{body.kind}: give the point (x, y) and the screen version it is on")
    shown = control.frame_of(body.version)
    if shown is None:
        raise NotTakenOverError("the screen changed since that click; click on the current one")
    size = shown.frame.screenshot
    if not (0 <= body.x <= size.width and 0 <= body.y <= size.height):
        raise ConfigError(f"the point ({body.x:g}, {body.y:g}) is outside the {size} screenshot")
    point = Point(x=round(min(body.x / size.width, 1) * 1000, 1),
                  y=round(min(body.y / size.height, 1) * 1000, 1))
    if body.kind == "scroll":
        return Scroll(start_box=point, direction=body.direction or "down", step=3)  # type: ignore[arg-type]
    kinds: dict[str, type[LeftClick | LeftDoubleClick | RightClick]] = {
        "click": LeftClick, "double_click": LeftDoubleClick, "right_click": RightClick}
    return kinds[body.kind](start_box=point)


__all__ = ["build_app", "person_action"]
