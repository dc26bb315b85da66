"""Run folders travel as tar archives from Ray workers; hostile archives must not escape."""

import io
import tarfile

import pytest

from guiagent.eval.run_archive import UnsafeArchiveError, pack_folder, unpack_folder


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _link(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def test_round_trip_keeps_every_file_and_skips_symlinks(tmp_path):
    run = tmp_path / "run"
    (run / "shots").mkdir(parents=True)
    (run / "run.json").write_text('{"outcome": "done"}')
    (run / "shots" / "0001.jpg").write_bytes(b"\xff\xd8jpeg")
    (tmp_path / "secret.txt").write_text("worker's private file")
    (run / "leak").symlink_to(tmp_path / "secret.txt")
    out = unpack_folder(pack_folder(run), tmp_path / "driver" / "run")
    assert (out / "run.json").read_text() == '{"outcome": "done"}'
    assert (out / "shots" / "0001.jpg").read_bytes() == b"\xff\xd8jpeg"
    assert not (out / "leak").exists()


@pytest.mark.parametrize("name", ["../escape.txt", "/tmp/abs.txt", "a/../../escape.txt", "a\\..\\x"])
def test_names_outside_the_folder_are_refused(tmp_path, name):
    with pytest.raises(UnsafeArchiveError, match="outside"):
        unpack_folder(_tar(_file(name)), tmp_path / "dest")
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_links_are_refused(tmp_path, kind):
    (tmp_path / "secret").write_text("s")
    with pytest.raises(UnsafeArchiveError, match="not a regular file"):
        unpack_folder(_tar(_link("link", str(tmp_path / "secret"), kind)), tmp_path / "dest")


def test_existing_symlink_in_destination_is_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "shots").symlink_to(elsewhere)
    with pytest.raises(UnsafeArchiveError, match="symlink"):
        unpack_folder(_tar(_file("shots/1.jpg")), dest)
    assert list(elsewhere.iterdir()) == []
    (tmp_path / "linked").symlink_to(elsewhere)
    with pytest.raises(UnsafeArchiveError, match="symlink"):
        unpack_folder(_tar(_file("a.txt")), tmp_path / "linked")


def test_garbage_is_a_clear_error(tmp_path):
    with pytest.raises(UnsafeArchiveError, match="not a run-folder archive"):
        unpack_folder(b"this is not a tar file" * 40, tmp_path / "dest")
