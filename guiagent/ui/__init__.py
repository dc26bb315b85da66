"""The live web UI: watch a run, steer it (pause, approve, take over), start runs, list them.

* :class:`UiServer` (:mod:`.server`): ``guiagent ui`` and ``guiagent run --live``.
* :class:`LiveControl` (:mod:`.control`): the hooks that let a page steer a run.
* :class:`RunManager` (:mod:`.runs`): runs started from the page, and the runs folder.

Needs the ``ui`` extra (Starlette and uvicorn): ``pip install 'guiagent[ui]'``.
See docs/ui.md.
"""

from .control import LiveControl
from .events import EventHub
from .runs import RunManager, StartRequest
from .server import UiServer

__all__ = ["EventHub", "LiveControl", "RunManager", "StartRequest", "UiServer"]
