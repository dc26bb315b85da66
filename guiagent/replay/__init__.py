"""Reading runs back: the HTML report, the GIF, the run list, and replays.

* :func:`write_report` / :func:`write_gif`: show a run to people (``guiagent view``).
* :func:`replay_actions` (:class:`ActionReplayer`): re-execute the recorded
  actions without the model, stopping at the first screen that differs.
* :class:`CassetteModelClient` / :func:`replay_with_model_log`: run the agent
  again with the model's answers played back from the log.
* :func:`image_difference`: the screen comparison both replays use.
* :func:`list_runs`: the runs of a directory (``guiagent runs``).
"""

from .cassette import CassetteModelClient
from .diff import DEFAULT_THRESHOLD, DiffResult, diff_image, image_difference
from .drivers import driver_for_run
from .gif import write_gif
from .model_replay import replay_with_model_log
from .replayer import ActionReplayer, replay_actions
from .report import render_report, write_report
from .result import ReplayMismatch, ReplayReport, StepComparison
from .runs import RunListing, RunSummary, list_runs

__all__ = [
    "DEFAULT_THRESHOLD", "ActionReplayer", "CassetteModelClient", "DiffResult", "ReplayMismatch",
    "ReplayReport", "RunListing", "RunSummary", "StepComparison", "diff_image", "driver_for_run",
    "image_difference", "list_runs", "render_report", "replay_actions", "replay_with_model_log",
    "write_gif", "write_report",
]
