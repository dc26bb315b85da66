"""guiagent's drivers as tools for other agents: the session behind ``guiagent mcp``.

:class:`ToolSession` holds one driver and runs each tool call through the same
guard, secrets layer and run log as an agent run; :class:`DriverThread` keeps
every call on the one thread that owns the driver. The MCP server itself
(:mod:`guiagent.toolserver.server`) only translates; it needs the ``mcp`` extra.
"""

from .session import SessionSettings, ToolSession
from .worker import DriverThread

__all__ = ["DriverThread", "SessionSettings", "ToolSession"]
