"""The one error tree of guiagent.

::

    GuiAgentError
    ├── ConfigError            bad settings, missing extras, unusable input files
    │   ├── SkillFileError     a skill file that cannot be loaded (names file, line, field)
    │   └── TaskFileError      an evaluation task file that cannot be loaded (file, line, field)
    ├── DriverError            the browser/desktop could not observe or act
    │   ├── ActionRefusedError the action was refused before execution
    │   │   └── OffScreenError a point outside the observed screen
    │   ├── InputNotTakenError no application took the input (nothing focused, no window
    │   │                      at the point, a paste nobody read): nothing was entered
    │   └── AppNotReadyError   an application's window did not show up (or settle) in time
    ├── ModelError             anything between us and the model server
    │   ├── ModelConnectionError   server unreachable, timed out, 5xx after retries
    │   ├── ModelResponseError     an answer we cannot turn into an action
    │   └── CassetteMismatchError  a recorded answer cannot serve this request (replay)
    ├── EnvironmentStartError  an evaluation episode's browser/sandbox/display did not start
    ├── LogFormatError         a replay log we cannot read
    └── SkillStepError         a skill step could not be carried out
        ├── TargetNotFoundError    no grounder found the described target (or several matched)
        └── ModelRequiredError     the step needs a model and none is configured

Errors never log by themselves; the agent loop records them on the step.
"""

from __future__ import annotations


class GuiAgentError(Exception):
    """Base class of every error guiagent raises on purpose."""


class ConfigError(GuiAgentError):
    """Settings, arguments or files that cannot work; the message says what to change."""


class DriverError(GuiAgentError):
    """The driver could not capture the screen or carry out an action."""


class ActionRefusedError(DriverError):
    """An action was refused before anything was executed."""


class OffScreenError(ActionRefusedError):
    """A point of the action lies outside the screenshot the model saw."""


class InputNotTakenError(DriverError):
    """No application took the input: no window had focus for a key, no window lay under
    a click, or nobody read a paste. The input was not entered, so the step did nothing
    and may be repeated once the application is ready.
    """


class PageNotRespondingError(DriverError):
    """The page's script kept the browser busy past a deadline (a page that stopped
    responding): an input or a check of what it targets could not be carried out."""


class AppNotReadyError(DriverError):
    """An application's window was not mapped (or did not settle) before the deadline."""


class ModelError(GuiAgentError):
    """A failure talking to the model server."""


class ModelConnectionError(ModelError):
    """The model server could not be reached or kept failing after retries."""

    def __init__(self, message: str, *, base_url: str | None = None,
                 transport_errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.base_url = base_url
        self.transport_errors = list(transport_errors or [])  # one line per failed try


class ModelResponseError(ModelError):
    """The model answered, but the answer holds no usable action.

    ``raw`` keeps the full text so that it can be logged and shown to the model.
    """

    def __init__(self, message: str, *, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


class CassetteMismatchError(ModelError):
    """A replay's request differs from the recorded one too much to answer it from the log."""


class LogFormatError(GuiAgentError):
    """A run log file that cannot be read (unknown version or corrupted line)."""


class SkillFileError(ConfigError):
    """A skill file that cannot be loaded; the message names the file, line and field."""


class TaskFileError(ConfigError):
    """An evaluation suite or task file that cannot be loaded; names the file, line and field."""


class EnvironmentStartError(GuiAgentError):
    """An episode's world (browser, web sandbox, display) could not be started: infrastructure."""


class SkillStepError(GuiAgentError):
    """A step of a skill could not be carried out (a check failed, a wait timed out, ...)."""


class TargetNotFoundError(SkillStepError):
    """No grounder found the described target on the screen, or it matched several places."""


class ModelRequiredError(SkillStepError):
    """The step needs a model (an ``agent:`` step or grounding) and none is configured."""
