"""Typed text (maybe a password) is never on a command line and never in a driver error."""

import os

import pytest

from guiagent.actions import Type
from guiagent.drivers.desktop_input import XdotoolBackend
from guiagent.errors import DriverError
from guiagent.redaction import encoded_forms

SECRET = "it's\\my-Pass"


@pytest.fixture
def fake_xdotool(tmp_path, monkeypatch):
    """An ``xdotool`` that records its argv and stdin, then fails quoting its input."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "xdotool"
    script.write_text(f"""#!/bin/sh
if [ "$1" = "type" ]; then
  printf '%s\\n' "$@" >> {tmp_path}/argv.log
  cat > {tmp_path}/stdin.log
  echo "xdotool: cannot type $* $(cat {tmp_path}/stdin.log)" >&2
  exit 1
fi
exec /usr/bin/xdotool "$@"
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return tmp_path


def assert_absent(text, value=SECRET):
    for form in encoded_forms(value):
        assert form not in text, form


def test_xdotool_gets_the_text_on_stdin_not_argv(fake_xdotool):
    backend = XdotoolBackend(dict(os.environ))
    with pytest.raises(DriverError):
        backend.type_ascii(SECRET)
    argv = (fake_xdotool / "argv.log").read_text()
    assert argv.startswith("type\n") and SECRET not in argv
    assert (fake_xdotool / "stdin.log").read_text() == SECRET


@pytest.mark.desktop
def test_desktop_driver_errors_never_quote_typed_text(fake_xdotool):
    from guiagent.drivers.desktop import DesktopDriver
    from guiagent.sandboxes.desktop import DesktopSandbox, launch_probe

    with DesktopSandbox(size="1280x720") as sandbox, DesktopDriver(
            display=sandbox.display, backend="xdotool", type_mode="keys") as driver:
        launch_probe(sandbox, fake_xdotool / "events.jsonl", target=(900, 500))  # takes the focus
        frame = driver.observe().frame
        with pytest.raises(DriverError) as info:
            driver.act(Type(content=SECRET), frame)
    assert "xdotool" in str(info.value) and "typed characters" in str(info.value)
    assert_absent(str(info.value))


def test_driver_error_helper_hides_typed_text_in_every_form():
    from guiagent.drivers.base import described, without_typed_text

    action = Type(content=SECRET)
    message = f"failed on {action.to_call()}: {SECRET!r} / {SECRET}"
    assert_absent(without_typed_text(action, message))
    assert described(action) == f"type(<{len(SECRET)} characters>)"
    short = without_typed_text(Type(content="ab"), "Error: cannot type 'ab'\nmore")
    assert "ab'" not in short and short.startswith("Error")
