"""Files crossing the page boundary: declared uploads in, downloads out.

Uploads: a run may only upload files the user declared (``--upload-file``); the
file picker lists exactly these, so neither the model nor the page can name any
other. Downloads land in the run folder's ``downloads/`` under a cleaned name
(the page chooses ``suggested_filename``: it may hold ``../`` or be ``.bashrc``),
never replacing an existing file and never writing through a link.
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ActionRefusedError, ConfigError
from .page_records import FileRecord

DOWNLOADS = "downloads"
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+,=@-]+")


@dataclass(frozen=True)
class UploadFile:
    """A file the run may upload: its absolute path and the name the picker shows."""

    path: Path
    size: int

    @property
    def name(self) -> str:
        """The file's name, as the page will receive it."""
        return self.path.name

    def record(self) -> FileRecord:
        """How the upload is recorded on the step."""
        return FileRecord(name=self.name, size=self.size, type=guess_type(self.name))


def declared_uploads(paths: list[str | Path] | None) -> list[UploadFile]:
    """Check the declared files exist and are regular files; ConfigError otherwise."""
    files: list[UploadFile] = []
    for raw in paths or []:
        path = Path(raw).expanduser()
        if not path.is_file():
            raise ConfigError(f"--upload-file {raw}: no such file (declare existing files "
                              "the run may upload)")
        path = path.resolve()
        if all(f.path != path for f in files):
            files.append(UploadFile(path=path, size=path.stat().st_size))
    return files


def find_upload(files: list[UploadFile], wanted: str) -> UploadFile:
    """The declared file named (or at the path) ``wanted``; refuse anything else."""
    target = Path(wanted).expanduser()
    for f in files:
        if wanted == f.name or (target.is_absolute() and target.resolve() == f.path):
            return f
    for f in files:
        if target.exists() and target.resolve() == f.path:
            return f
    names = ", ".join(f.name for f in files) or "none"
    raise ActionRefusedError(f"{wanted!r} is not one of the files this run may upload "
                             f"(declared: {names}); declare it with --upload-file")


def guess_type(name: str) -> str:
    """The MIME type a name suggests."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def safe_name(suggested: str) -> str:
    """A plain file name from a page's suggestion: no directories, no leading dot."""
    base = suggested.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    return base[:120] or "download"


def save_download(download: Any, run_dir: Path) -> FileRecord:
    """Save a Playwright download into ``run_dir/downloads``; record it (or its failure)."""
    suggested = str(getattr(download, "suggested_filename", "") or "")
    name = safe_name(suggested)
    record = FileRecord(name=name, type=guess_type(name), url=str(getattr(download, "url", "")))
    folder = run_dir / DOWNLOADS
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        record.error = f"{folder} is not a plain folder; the download was not saved"
        return record
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".incoming-", dir=folder))
    try:
        failure = download.failure()
        if failure:
            record.error = str(failure)
            return record
        download.save_as(scratch / "file")
        final = _link_new(scratch / "file", folder, name)
        record.name = final.name
        record.path = f"{DOWNLOADS}/{final.name}"
        record.size = final.stat().st_size
    except Exception as exc:  # noqa: BLE001 - a failed download is recorded, not fatal
        record.error = f"{type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return record


def _link_new(source: Path, folder: Path, name: str) -> Path:
    """Give ``source`` a name in ``folder`` that nothing has yet (hard link: never replaces)."""
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    for n in range(1, 10_000):
        candidate = folder / (name if n == 1 else f"{stem} ({n}){dot}{ext}")
        try:
            os.link(source, candidate)
            return candidate
        except FileExistsError:
            continue
    raise OSError(f"too many downloads named {name} in {folder}")
