"""Local web app with realistic forms that records every submission in SQLite.

Start it with ``WebSandbox`` (in-process, free port) and verify what a GUI agent
submitted with ``WebSandbox.submissions()`` or ``GET /api/submissions``.
"""

from .server import FORMS, WebSandbox, create_app

__all__ = ["FORMS", "WebSandbox", "create_app"]
