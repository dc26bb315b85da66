"""The MCP server: a :class:`~.session.ToolSession`'s calls as Model Context Protocol tools.

Built on the official SDK's ``MCPServer`` (package ``mcp``, 2.x). This module
only translates: arguments into session calls on the driver's thread, results
into MCP content, and every failure into a tool error with text that says what
to do (the SDK would hide an unexpected exception's text; the server never
crashes on a call). Annotations are evaluated at runtime by the SDK, so this
module does not postpone them.
"""

import asyncio
import base64
import concurrent.futures
import json
import logging
import traceback
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ImageContent, TextContent, ToolAnnotations
from pydantic import Field

from ..actions import Key, LeftClick, LeftDoubleClick, LeftDrag, RightClick, Scroll, Type
from ..errors import ActionRefusedError, GuiAgentError, OffScreenError
from ..runlog import StepRecord
from . import delegate
from .session import ToolSession, model_point
from .worker import DriverThread

T = TypeVar("T")
log = logging.getLogger("guiagent.mcp")

INSTRUCTIONS = (
    "Operate one screen (a browser page or an X11 desktop) like a person: take a screenshot, "
    "then click, type, press keys, scroll or drag at points of that screenshot. Points are "
    "thousandths of the screenshot's width and height (0-1000, as GLM-4.1V gives them), or "
    "its pixels with pixels=true. Type {{secret:NAME}} to enter a secret the server holds. "
    "run_task hands a whole task to guiagent's agent (the server's model, GLM-4.1V by "
    "default); run_skill runs a stored procedure. "
    "Every call is checked by the server's action policy and recorded in a run folder."
)
X = Annotated[float, Field(description="Horizontal position: 0-1000 of the last screenshot's width "
                                       "(or its pixels with pixels=true).")]
Y = Annotated[float, Field(description="Vertical position: 0-1000 of the last screenshot's height "
                                       "(or its pixels with pixels=true).")]
Pixels = Annotated[bool, Field(description="x/y are pixels of the last screenshot, not 0-1000.")]
Element = Annotated[str, Field(description="What you mean to act on, in words (recorded, and "
                                           "checked by the action policy).")]
READ_ONLY = ToolAnnotations(read_only_hint=True)
ACTS = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=True)


class Progress:
    """Reports each step of a delegated run as MCP progress, from the driver's thread.

    :meth:`sent` waits for the reports, so none arrives after the call's result.
    """

    def __init__(self, ctx: Context, total: int | None) -> None:
        self.ctx, self.total = ctx, total
        self.loop = asyncio.get_running_loop()
        self.pending: list[concurrent.futures.Future[None]] = []
        self.hook = delegate.StepProgress(self.report)

    def report(self, step: StepRecord) -> None:
        """Send one step (already redacted by the run log)."""
        message = f"step {step.index}: {step.call or '(no action)'}: {step.result}"
        self.pending.append(asyncio.run_coroutine_threadsafe(
            self.ctx.report_progress(step.index, self.total, message), self.loop))

    async def sent(self) -> None:
        """Wait until every report went out (a failed one is dropped: progress is advisory)."""
        await asyncio.gather(*(asyncio.wrap_future(f) for f in self.pending), return_exceptions=True)


def build_server(session: ToolSession, thread: DriverThread, **server_options: Any) -> MCPServer:
    """The MCP server whose tools act through ``session`` on ``thread``."""
    server: MCPServer = MCPServer("guiagent", instructions=INSTRUCTIONS, **server_options)

    async def call(fn: Callable[[], T]) -> T:
        try:
            return await thread.call(fn)
        except OffScreenError as exc:
            raise ToolError(f"{exc}; nothing was executed") from None
        except ActionRefusedError as exc:
            hint = (" The server's action policy decides (guiagent mcp --policy FILE, "
                    "docs/mcp.md)." if getattr(exc, "by_guard", False) else "")
            raise ToolError(session.redact(f"refused: {exc}; nothing was executed.{hint}")
                            ) from None
        except GuiAgentError as exc:
            raise ToolError(session.redact(f"{type(exc).__name__}: {exc}")) from None
        except Exception as exc:  # a bug: the caller gets the text, stderr the traceback
            log.error("tool call failed: %s", session.redact(traceback.format_exc()))
            raise ToolError(session.redact(f"unexpected {type(exc).__name__} in guiagent (a bug; "
                                           f"the traceback is on the server's stderr): {exc}")
                            ) from None

    @server.tool(annotations=READ_ONLY)
    async def screenshot() -> CallToolResult:
        """Capture the screen. Returns the image and its size; later points refer to it."""
        shot = await call(session.screenshot)
        info = {"width": shot.size.width, "height": shot.size.height, "url": shot.url,
                "title": shot.title}
        text = session.redact(json.dumps(info, ensure_ascii=False))
        return CallToolResult(content=[
            ImageContent(type="image", data=base64.b64encode(shot.data).decode(), mime_type=shot.mime),
            TextContent(type="text", text=text)])

    @server.tool(annotations=ACTS)
    async def click(x: X, y: Y, pixels: Pixels = False, element: Element = "") -> str:
        """Left-click once at (x, y) of the last screenshot."""
        return await call(lambda: session.act(lambda shot: LeftClick(
            start_box=model_point(x, y, pixels, shot), element_info=element)))

    @server.tool(annotations=ACTS)
    async def double_click(x: X, y: Y, pixels: Pixels = False, element: Element = "") -> str:
        """Double-click at (x, y) of the last screenshot."""
        return await call(lambda: session.act(lambda shot: LeftDoubleClick(
            start_box=model_point(x, y, pixels, shot), element_info=element)))

    @server.tool(annotations=ACTS)
    async def right_click(x: X, y: Y, pixels: Pixels = False, element: Element = "") -> str:
        """Right-click at (x, y) of the last screenshot (context menus)."""
        return await call(lambda: session.act(lambda shot: RightClick(
            start_box=model_point(x, y, pixels, shot), element_info=element)))

    @server.tool(annotations=ACTS)
    async def drag(x: X, y: Y, to_x: X, to_y: Y, pixels: Pixels = False,
                   element: Element = "") -> str:
        """Press the left button at (x, y), move to (to_x, to_y), release."""
        return await call(lambda: session.act(lambda shot: LeftDrag(
            start_box=model_point(x, y, pixels, shot), end_box=model_point(to_x, to_y, pixels, shot),
            element_info=element)))

    @server.tool(annotations=ACTS)
    async def scroll(x: X, y: Y, direction: Literal["up", "down"],
                     amount: Annotated[int, Field(ge=1, le=100, description="Wheel clicks.")] = 5,
                     pixels: Pixels = False, element: Element = "") -> str:
        """Scroll the wheel up or down with the pointer at (x, y)."""
        return await call(lambda: session.act(lambda shot: Scroll(
            start_box=model_point(x, y, pixels, shot), direction=direction, step=amount,
            element_info=element)))

    @server.tool(name="type", annotations=ACTS)
    async def type_text(text: Annotated[str, Field(description=(
            "The text; {{secret:NAME}} types the server's secret NAME without revealing it."))],
    ) -> str:
        """Type text into the focused element (click it first); it does not clear the field."""
        return await call(lambda: session.act(lambda shot: Type(content=text)))

    @server.tool(annotations=ACTS)
    async def key(keys: Annotated[str, Field(description=(
            "One key or a combination joined with '+', e.g. enter, ctrl+a, alt+left."))]) -> str:
        """Press a key or key combination."""
        return await call(lambda: session.act(lambda shot: Key(keys=keys)))

    @server.tool(annotations=READ_ONLY)
    async def ground(description: Annotated[str, Field(description=(
            "The element to find, in words, e.g. 'the Sign in button'."))]) -> dict[str, Any]:
        """Ask GLM-4.1V where something is on the screen now: its box and centre, in 0-1000
        and in pixels of a new screenshot (which becomes the last screenshot)."""
        return await call(lambda: session.ground(description))

    @server.tool(annotations=ACTS)
    async def run_task(ctx: Context, task: Annotated[str, Field(description="What to do, in plain words.")],
                       max_steps: Annotated[int, Field(ge=1, le=200)] = 30) -> dict[str, Any]:
        """Hand a whole task to guiagent's agent (the server's model) on this screen; returns its
        outcome, answer and run folder when it ends (each step is reported as progress)."""
        progress, watch = Progress(ctx, max_steps), delegate.CancelWatch()
        try:
            result = await call(lambda: delegate.run_task(session, task, max_steps,
                                                          hooks=[progress.hook, watch]))
        except BaseException:  # the client cancelled (or the run failed): stop before its next step
            watch.cancelled.set()
            raise
        await progress.sent()
        return result

    @server.tool(annotations=ACTS)
    async def run_skill(ctx: Context,
                        name: Annotated[str, Field(description="A skill name or a .yaml file.")],
                        params: Annotated[dict[str, Any] | None, Field(
                            description="The skill's parameters by name.")] = None,
                        ) -> dict[str, Any]:
        """Run a stored procedure (a skill) on this screen; returns its outcome and run folder
        (each step is reported as progress meanwhile)."""
        progress = Progress(ctx, None)
        result = await call(lambda: delegate.run_skill(session, name, params,
                                                       hooks=[progress.hook]))
        await progress.sent()
        return result

    @server.tool(annotations=READ_ONLY)
    async def list_runs(limit: Annotated[int, Field(ge=1, le=500)] = 20) -> list[dict[str, Any]]:
        """The newest runs in the server's runs folder (this session's too), newest first."""
        root = session.settings.runs_root
        return await call(lambda: delegate.list_runs(root, limit))

    return server
