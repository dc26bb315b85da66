"""What a page did during a step besides drawing: dialogs, uploads, downloads, tabs.

Recorded on the step (``StepRecord.page_events``, see docs/replay-log.md) and shown
in the report; the ``notes`` are what the model is told in its next prompt.
Plain pydantic models with defaults everywhere, so logs written before these
existed (no ``page_events``) and after (any subset) read alike.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class DialogRecord(BaseModel):
    """One JavaScript dialog and how it was answered."""

    model_config = ConfigDict(extra="allow")

    kind: str  # alert, confirm, prompt, beforeunload
    message: str = ""
    default_value: str = ""
    answer: Literal["accepted", "dismissed"] = "dismissed"
    text: str | None = None  # what was typed into a prompt's field
    url: str | None = None


class FileRecord(BaseModel):
    """A file uploaded into the page or downloaded from it."""

    model_config = ConfigDict(extra="allow")

    name: str
    size: int = 0
    type: str = "application/octet-stream"
    path: str | None = None  # downloads: relative to the run directory
    url: str | None = None
    error: str | None = None


class TabRecord(BaseModel):
    """One open tab (page) of the browser."""

    model_config = ConfigDict(extra="allow")

    url: str = ""
    title: str = ""
    active: bool = False


class PageEvents(BaseModel):
    """Everything a page did during one step, beyond its pixels."""

    model_config = ConfigDict(extra="allow")

    dialogs: list[DialogRecord] = []
    uploads: list[FileRecord] = []
    downloads: list[FileRecord] = []
    tabs: list[TabRecord] = []
    notes: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.dialogs or self.uploads or self.downloads or self.notes
                    or len(self.tabs) > 1)


def human_size(size: int) -> str:
    """``1536`` -> ``1.5 KB``."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover
