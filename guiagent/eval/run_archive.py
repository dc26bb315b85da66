"""Ship an episode's run folder between machines as one tar archive, and unpack it safely.

On a Ray cluster the workers share no disk with the driver: the episode's run
folder (run.json, steps.jsonl, screenshots, report.html) comes back as bytes
and must land under the driver's ``--out`` as if the episode had run there.
The archive comes from another machine, so it is treated as hostile when
unpacked: only regular files and folders are accepted (no symlinks, hard links
or devices), every name must stay inside the destination (no absolute paths,
no ``..``), nothing already on disk is followed through a symlink, and the
total size is capped.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path, PurePosixPath

from ..errors import GuiAgentError

#: Refuse archives that would unpack to more than this (a run folder is a few MB).
MAX_UNPACKED_BYTES = 2 * 1024**3


class UnsafeArchiveError(GuiAgentError):
    """A run-folder archive tried to write outside its folder, or held a link or device."""


def pack_folder(folder: Path) -> bytes:
    """The folder's files as an uncompressed tar (screenshots are already compressed).

    Symlinks inside the folder are skipped rather than followed, so a run
    folder never drags in files from elsewhere on the worker.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                continue
            tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    return buffer.getvalue()


def _safe_parts(name: str) -> tuple[str, ...]:
    pure = PurePosixPath(name)
    if pure.is_absolute() or "\\" in name or any(p in ("..", "") for p in pure.parts) or not pure.parts:
        raise UnsafeArchiveError(f"archive member {name!r} would land outside its folder")
    return tuple(p for p in pure.parts if p != ".")


def _no_symlink_on_way(dest: Path, parts: tuple[str, ...]) -> Path:
    """``dest/parts...``, refusing if any existing component on the way is a symlink."""
    path = dest
    for part in parts:
        path = path / part
        if path.is_symlink():
            raise UnsafeArchiveError(f"{path} is a symlink; refusing to write through it")
    return path


def unpack_folder(data: bytes, dest: Path) -> Path:
    """Unpack an archive made by :func:`pack_folder` into ``dest`` (created; must not be a symlink)."""
    if dest.is_symlink():
        raise UnsafeArchiveError(f"{dest} is a symlink; refusing to unpack into it")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    except tarfile.TarError as exc:
        raise UnsafeArchiveError(f"not a run-folder archive: {exc}") from exc
    total = 0
    with tar:
        for member in tar:
            parts = _safe_parts(member.name)
            if not parts:
                continue
            target = _no_symlink_on_way(dest, parts)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if not member.isfile():
                raise UnsafeArchiveError(f"archive member {member.name!r} is not a regular file "
                                         "(links and devices are refused)")
            total += member.size
            if total > MAX_UNPACKED_BYTES:
                raise UnsafeArchiveError("run-folder archive unpacks to more than "
                                         f"{MAX_UNPACKED_BYTES} bytes")
            _no_symlink_on_way(dest, parts[:-1])
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:  # pragma: no cover - isfile() members always have data
                continue
            # O_NOFOLLOW: a symlink planted at the target between the check and the write fails.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            with source, os.fdopen(fd, "wb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
    return dest
