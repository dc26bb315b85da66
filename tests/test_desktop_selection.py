"""The driver's own clipboard owner: a paste returns only once the application has read it."""

import subprocess
import time

import pytest

from guiagent.actions import Key, Type
from guiagent.drivers.desktop import DesktopDriver
from guiagent.drivers.desktop_selection import SelectionOwner
from guiagent.sandboxes.desktop import DesktopSandbox, launch_probe

pytestmark = pytest.mark.desktop


@pytest.fixture(scope="module")
def sandbox():
    with DesktopSandbox(size="800x600") as sandbox:
        yield sandbox


def xclip_out(sandbox, *target):
    return subprocess.run(["xclip", "-selection", "clipboard", "-o", *target], env=sandbox.env,
                          capture_output=True, timeout=10).stdout.decode("utf-8")


def test_owner_counts_only_text_reads_after_it_is_armed(sandbox):
    with SelectionOwner(sandbox.display) as owner:
        offer = owner.offer("Grüße, €5 日本")
        # A clipboard manager reads each new selection before any paste key is pressed.
        assert xclip_out(sandbox) == "Grüße, €5 日本"
        assert not offer.served.is_set()
        offer.arm()
        targets = xclip_out(sandbox, "-t", "TARGETS").split()
        assert "UTF8_STRING" in targets and "STRING" in targets
        assert not offer.served.is_set()  # asking what is offered is not a paste
        assert xclip_out(sandbox) == "Grüße, €5 日本"
        assert offer.served.is_set() and offer.targets_served == ["UTF8_STRING"]
    assert xclip_out(sandbox) == ""  # stopped: the selection has no owner any more


def test_each_offer_replaces_the_last_and_another_client_takes_over(sandbox):
    with SelectionOwner(sandbox.display) as owner:
        first = owner.offer("first")
        second = owner.offer("second")
        assert xclip_out(sandbox) == "second"
        assert owner.current is second and owner.current is not first
        subprocess.run(["xclip", "-selection", "clipboard", "-in"], input=b"theirs",
                       env=sandbox.env, timeout=10, check=True)
        assert xclip_out(sandbox) == "theirs"
        deadline = time.monotonic() + 3
        while not second.lost and time.monotonic() < deadline:
            time.sleep(0.02)
        assert second.lost and owner.current is None
        third = owner.offer("mine again")  # the owner keeps working after losing it
        assert xclip_out(sandbox) == "mine again" and owner.current is third


@pytest.mark.parametrize("clipboard", ["auto", "xclip"])
def test_type_reports_what_the_application_read(tmp_path, clipboard):
    with DesktopSandbox(size="800x600") as sandbox:
        probe = launch_probe(sandbox, tmp_path / "events.jsonl")
        with DesktopDriver(display=sandbox.display, backend="xdotool", clipboard=clipboard) as drv:
            frame = drv.observe().frame
            drv.act(Key(keys="escape"), frame)
            probe.wait_for(lambda ev: probe.text() == "", timeout=3)
            results = [drv.act(Type(content=part), frame) for part in ["Ä1 ", "Ö2 ", "Ü3"]]
            probe.wait_for(lambda ev: probe.text() == "Ä1 Ö2 Ü3", timeout=5)
        assert probe.text() == "Ä1 Ö2 Ü3"
    if clipboard == "auto":  # python-xlib is installed: the driver owned the clipboard
        assert all("the application read them as UTF8_STRING" in r.detail for r in results)
    else:
        assert all("via xclip" in r.detail for r in results)


