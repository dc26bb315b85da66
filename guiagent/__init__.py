"""guiagent: let GLM-4.1V-9B-Thinking operate real graphical interfaces.

The public surface is ``__all__``; ``tests/test_public_api.py`` keeps it honest.
Drivers are imported lazily so that ``import guiagent`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .actions import (
    Action,
    Answer,
    Done,
    Fail,
    Hover,
    Key,
    LeftClick,
    LeftDoubleClick,
    LeftDrag,
    MiddleClick,
    Point,
    RightClick,
    Scroll,
    Type,
    Wait,
)
from .agent import Agent, AgentConfig, AgentHooks, RunResult
from .drivers.base import ActionResult, Driver, Observation
from .errors import (
    ActionRefusedError,
    ConfigError,
    DriverError,
    GuiAgentError,
    LogFormatError,
    ModelConnectionError,
    ModelError,
    ModelResponseError,
    OffScreenError,
)
from .geometry import ResolvedPoint, ScreenFrame, Size
from .model import ModelClient, ModelReply, ModelSettings, OpenAIChatClient
from .runlog import RunLog, RunRecord, StepRecord, read_run

__version__ = "0.1.0"

_LAZY = {
    "PlaywrightDriver": "guiagent.drivers.playwright",
    "DesktopDriver": "guiagent.drivers.desktop",
    "ScriptedDriver": "guiagent.drivers.scripted",
    "check_driver": "guiagent.drivers.check",
    "Glm41vPcProtocol": "guiagent.protocols.glm41v_pc",
}

__all__ = [
    "Action", "ActionRefusedError", "ActionResult", "Agent", "AgentConfig", "AgentHooks", "Answer",
    "ConfigError", "DesktopDriver", "Done", "Driver", "DriverError", "Fail", "Glm41vPcProtocol",
    "GuiAgentError", "Hover", "Key", "LeftClick", "LeftDoubleClick", "LeftDrag", "LogFormatError",
    "MiddleClick", "ModelClient", "ModelConnectionError", "ModelError", "ModelReply",
    "ModelResponseError", "ModelSettings", "Observation", "OffScreenError", "OpenAIChatClient",
    "PlaywrightDriver", "Point", "ResolvedPoint", "RightClick", "RunLog", "RunRecord", "RunResult",
    "ScreenFrame", "ScriptedDriver", "Scroll", "Size", "StepRecord", "Type", "Wait", "check_driver",
    "read_run",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'guiagent' has no attribute {name!r}")
