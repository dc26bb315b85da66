"""Input nobody takes is an error, never a silent success: keys, clicks and pastes.

Each case runs on a real Xvfb desktop. An empty desktop (openbox only) has no
focused client and no window under any point; an xterm takes keys but does not
read the clipboard on ctrl+v; the Tk probe reads pastes and logs clicks.
"""

import subprocess
import sys
import time

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.actions import Key, LeftClick, Point, Scroll, Type
from guiagent.drivers.desktop import DesktopDriver
from guiagent.errors import InputNotTakenError
from guiagent.runlog import read_run
from guiagent.sandboxes.desktop import DesktopSandbox
from guiagent.sandboxes.desktop.probe import ProbeLog
from guiagent.testing import GlmModelServer, glm_answer

pytestmark = pytest.mark.desktop


@pytest.fixture(scope="module")
def empty():
    with DesktopSandbox(size="640x480") as sandbox:
        yield sandbox


@pytest.mark.parametrize("backend", ["pyautogui", "xdotool"])
@pytest.mark.parametrize(
    ("action", "message"),
    [(Key(keys="ctrl+s"), "no application window has the keyboard focus"),
     (Type(content="lost words"), "no application window has the keyboard focus"),
     (LeftClick(start_box=Point(x=500, y=500)), "no window is mapped at (320, 240)"),
     (Scroll(start_box=Point(x=100, y=100), direction="down", step=2), "no window is mapped")],
    ids=["key", "type", "click", "scroll"],
)
def test_input_on_an_empty_desktop_is_refused(empty, backend, action, message):
    with DesktopDriver(display=empty.display, backend=backend, input_timeout=0.3) as drv:
        frame = drv.observe().frame
        t0 = time.monotonic()
        with pytest.raises(InputNotTakenError, match=message.replace("(", r"\(").replace(")", r"\)")):
            drv.act(action, frame)
        assert time.monotonic() - t0 < 10  # a short, bounded wait
    # The typed text is never quoted in the error (it may be a secret).
    if isinstance(action, Type):
        with DesktopDriver(display=empty.display, input_timeout=0.1) as drv, \
                pytest.raises(InputNotTakenError) as info:
            drv.act(action, frame)
        assert "lost words" not in str(info.value)


def xclip_out(sandbox):
    return subprocess.run(["xclip", "-selection", "clipboard", "-o"], env=sandbox.env,
                          capture_output=True, timeout=30).stdout.decode()


def test_a_paste_nobody_reads_is_an_error_and_is_withdrawn(empty):
    """An xterm has the focus but ignores ctrl+v: the text is not entered, and it stays out."""
    proc = empty.launch(["xterm", "-geometry", "40x10+0+0"])
    try:
        empty.wait_for_window(class_="xterm", timeout=60)
        with DesktopDriver(display=empty.display, backend="xdotool", paste_timeout=0.5,
                           input_timeout=30) as drv:
            with pytest.raises(InputNotTakenError, match="no application read them in 0.5s"):
                drv.act(Type(content="nobody listens"), drv.observe().frame)
            # A late reader gets nothing: the offer was withdrawn when the error was raised.
            assert xclip_out(empty) == ""
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_click_waits_for_a_window_that_is_still_starting(tmp_path):
    """The app maps its window while the click waits: the click lands, nothing is lost."""
    with DesktopSandbox(size="800x600") as sandbox:
        log = tmp_path / "events.jsonl"
        sandbox.launch([sys.executable, "-m", "guiagent.sandboxes.desktop.probe_app",
                        "--log", str(log)])
        with DesktopDriver(display=sandbox.display, backend="xdotool", input_timeout=90) as drv:
            result = drv.act(LeftClick(start_box=Point(x=500, y=700)), drv.observe().frame)
        x, y = result.points[0].global_.rounded()
        probe = ProbeLog(log)
        events = probe.wait_for(lambda ev: any(e["event"] == "press" for e in ev), timeout=30)
    assert [(e["x"], e["y"]) for e in events if e["event"] == "press"] == [(x, y)]


def test_the_agent_tells_the_model_and_keeps_going(empty, tmp_path):
    """The step records the error as 'not taken'; the next prompt says so; the run goes on."""

    def respond(request):
        if request.step == 1:
            return glm_answer("key(keys='ctrl+s')")
        assert "no application took the input" in request.text
        assert "keyboard focus" in request.text
        return glm_answer("FAIL()", explanation="Nothing is open.")

    driver = DesktopDriver(display=empty.display, input_timeout=0.2)
    config = AgentConfig(run_dir=tmp_path / "run", handle_signals=False)
    with GlmModelServer(respond) as server, driver:
        client = OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0))
        result = Agent(driver, client, config=config).run("Save the document")
    assert result.outcome == "failed" and len(server.requests) == 2
    _, steps = read_run(tmp_path / "run")
    assert steps[0].result == "not taken"
    assert steps[0].error is not None and steps[0].error.type == "InputNotTakenError"
