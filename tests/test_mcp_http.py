"""``guiagent mcp --http PORT``: the SDK's client over streamable HTTP; SIGTERM finishes the log.

Also the command's usage errors and the pixel-to-thousandths mapping, which need no browser.
"""

import asyncio
import base64
import io
import json
import signal
import socket
import subprocess
import sys
import time

import pytest
from mcp import Client
from PIL import Image

from guiagent.actions import Point
from guiagent.errors import OffScreenError
from guiagent.geometry import Size
from guiagent.runlog import read_run
from guiagent.toolserver.session import model_point


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(proc: subprocess.Popen, port: int, timeout: float = 120) -> None:
    """Until the port accepts connections (the server is up) or the process ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"guiagent mcp exited {proc.returncode}: {proc.stderr.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("guiagent mcp --http never listened")


@pytest.mark.browser
def test_streamable_http_session_and_sigterm(sandbox, tmp_path):
    port, runs = free_port(), tmp_path / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "guiagent.cli.main", "mcp", "--url", sandbox.url + "/login",
         "--http", str(port), "--runs", str(runs)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_listening(proc, port)

        async def session() -> tuple[set, Image.Image, dict, str]:
            async with Client(f"http://127.0.0.1:{port}/mcp") as c:
                names = {t.name for t in (await c.list_tools()).tools}
                shot = await c.call_tool("screenshot", {})
                image = next(p for p in shot.content if p.type == "image")
                info = json.loads(next(p.text for p in shot.content if p.type == "text"))
                bad = await c.call_tool("scroll", {"x": 500, "y": 500, "direction": "sideways"})
                # No secrets on this server: a placeholder is refused, not typed literally.
                secret = await c.call_tool("type", {"text": "{{secret:PW}}"})
                return (names, Image.open(io.BytesIO(base64.b64decode(image.data))), info,
                        bad.content[0].text if bad.is_error else "",
                        secret.content[0].text if secret.is_error else "")

        names, image, info, bad, secret = asyncio.run(session())
        assert "holds no secrets" in secret and "GUIAGENT_SECRET_PW" in secret
        assert {"screenshot", "click", "run_task", "list_runs"} <= names
        assert image.size == (1280, 720) and info["url"].endswith("/login")
        assert "direction" in bad  # invalid arguments: a tool error naming the field
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    (folder,) = [p for p in runs.iterdir() if p.is_dir()]
    record, steps = read_run(folder)
    assert record.kind == "mcp" and record.outcome == "interrupted"
    assert [(s.call, s.result) for s in steps] == [("type(content='{{secret:PW}}')", "refused")]
    assert (folder / "report.html").is_file()
    assert f"session log: {folder}" in stderr


def test_usage_errors_exit_2_with_a_message(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "mcp", "--runs",
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--url" in proc.stderr
    assert proc.stdout == ""  # stdout belongs to the protocol
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "mcp", "--url",
                           "http://127.0.0.1:9/", "--desktop"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "not both" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "mcp", "--url",
                           "http://127.0.0.1:9/", "--protocol", "nope"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "unknown protocol 'nope'" in proc.stderr


def test_without_the_sdk_it_says_which_extra_to_install():
    code = ("import sys; sys.modules['mcp'] = None; sys.argv = ['guiagent', 'mcp', '--url', "
            "'http://127.0.0.1:9/']; from guiagent.cli.main import main; main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "pip install 'guiagent[mcp]'" in proc.stderr, proc.stderr


def test_pixels_map_to_thousandths_of_the_last_screenshot():
    shot = Size(width=1280, height=720)
    assert model_point(640, 180, True, shot) == Point(x=500, y=250)
    assert model_point(640, 180, False, shot) == Point(x=640, y=180)  # already 0-1000
    with pytest.raises(OffScreenError, match="outside the last screenshot"):
        model_point(1280, 10, True, shot)


@pytest.mark.browser
def test_sigkill_leaves_every_finished_step_readable_and_other_hosts_are_refused(sandbox, tmp_path):
    import http.client

    port, runs = free_port(), tmp_path / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "guiagent.cli.main", "mcp", "--url", sandbox.url + "/login",
         "--http", str(port), "--runs", str(runs)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_listening(proc, port)
        # DNS rebinding: a web page whose name now points at 127.0.0.1 is not served.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/mcp", body="{}", headers={
            "Host": "evil.example", "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream"})
        assert conn.getresponse().status in (403, 421)
        conn.close()

        async def session() -> None:
            async with Client(f"http://127.0.0.1:{port}/mcp") as c:
                await c.call_tool("screenshot", {})
                for y in (100, 200):
                    result = await c.call_tool("click", {"x": 500, "y": y})
                    assert not result.is_error

        asyncio.run(session())
    finally:
        proc.kill()  # no chance to finish the log
        proc.communicate(timeout=60)
    (folder,) = [p for p in runs.iterdir() if p.is_dir()]
    record, steps = read_run(folder)
    assert record.kind == "mcp" and record.outcome == "running"  # never finished
    assert [s.call for s in steps] == [f"left_click(start_box='[500,{y}]', element_info='')"
                                       for y in (100, 200)]


def test_run_skill_reads_skill_files_only_from_the_skill_folders(tmp_path):
    from guiagent.errors import ConfigError
    from guiagent.toolserver.delegate import caller_skill

    skills, elsewhere = tmp_path / "skills", tmp_path / "elsewhere"
    skills.mkdir()
    elsewhere.mkdir()
    text = ("name: wave\ndescription: d\nparameters: {}\nsteps:\n"
            "  - key: enter\n")
    (skills / "wave.yaml").write_text(text)
    (elsewhere / "config.yaml").write_text("api_key: sk-not-for-the-caller\n")
    (skills / "escape.yaml").symlink_to(elsewhere / "config.yaml")
    assert caller_skill("wave", [skills]).name == "wave"
    assert caller_skill(str(skills / "wave.yaml"), [skills]).name == "wave"
    for name in (str(elsewhere / "config.yaml"), "/etc/passwd", str(skills / "escape.yaml"),
                 str(skills / ".." / "elsewhere" / "config.yaml")):
        with pytest.raises(ConfigError) as caught:
            caller_skill(name, [skills])
        assert "api_key" not in str(caught.value) and "skill folders" in str(caught.value)


@pytest.mark.browser
def test_on_a_non_loopback_address_every_request_needs_the_printed_token(sandbox, tmp_path):
    import http.client

    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "guiagent.cli.main", "mcp", "--url", sandbox.url + "/login",
         "--http", str(port), "--host", "0.0.0.0", "--runs", str(tmp_path / "runs")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        token = ""
        while not token:
            line = proc.stderr.readline()
            assert line, f"guiagent mcp exited {proc.poll()} before printing a token"
            if "Authorization: Bearer " in line:
                token = line.split("Authorization: Bearer ", 1)[1].strip()
        wait_until_listening(proc, port)

        def status(headers: dict[str, str]) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("POST", "/mcp", body="{}", headers={"content-type": "application/json",
                                                                **headers})
                return conn.getresponse().status
            finally:
                conn.close()

        assert status({}) == 401
        assert status({"authorization": "Bearer " + token[:-1] + "x"}) == 401
        assert status({"authorization": token}) == 401

        async def tools(headers: dict[str, str]) -> set[str]:
            async with create_mcp_http_client(headers=headers) as client, \
                    Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp",
                                                  http_client=client)) as c:
                return {t.name for t in (await c.list_tools()).tools}

        assert "click" in asyncio.run(tools({"Authorization": f"Bearer {token}"}))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert proc.returncode == 0
