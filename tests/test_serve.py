"""``guiagent serve``: the command line it builds, checked with a fake ``vllm`` on PATH."""

import json
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from guiagent.protocols.registry import PROTOCOL_NAMES
from guiagent.serve.families import FAMILIES
from guiagent.serve.launch import answers

HERE = Path(__file__).parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def bin_dir(tmp_path):
    """A PATH folder with a fake ``vllm`` and a fake ``nvidia-smi`` that lists one GPU."""
    folder = tmp_path / "bin"
    folder.mkdir()
    vllm = folder / "vllm"
    vllm.write_text(f"#!{sys.executable}\n" + (HERE / "fake_vllm.py").read_text())
    smi = folder / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'GPU 0: Fake GPU (UUID: GPU-0)'\n")
    for tool in (vllm, smi):
        tool.chmod(0o755)
    return folder


def serve(*args, bin_dir, log, fail=False, **kwargs):
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_VLLM_LOG": str(log),
           "FAKE_VLLM_FAIL": "1" if fail else "0"}
    return subprocess.Popen([sys.executable, "-m", "guiagent.cli.main", "serve", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


def test_serve_starts_vllm_with_the_family_flags_and_prints_the_run_line(tmp_path, bin_dir):
    port, log = free_port(), tmp_path / "vllm.json"
    proc = serve("zai-org/GLM-4.5V", "--port", str(port), "--tp", "2", "--",
                 "--gpu-memory-utilization", "0.8", "--max-model-len", "32768",
                 bin_dir=bin_dir, log=log)
    try:
        lines = [proc.stdout.readline() for _ in range(5)]
        url = f"http://127.0.0.1:{port}/v1"
        assert lines[0].strip() == f"serving zai-org/GLM-4.5V at {url}", (lines, proc.stderr)
        assert lines[2].strip() == (f"guiagent run TASK --url URL --model-url {url} "
                                    f"--model zai-org/GLM-4.5V --protocol glm45v")
        assert answers(f"{url}/models") == 200
        argv = json.loads(log.read_text())["argv"]
        assert argv == ["serve", "zai-org/GLM-4.5V", "--host", "127.0.0.1", "--port", str(port),
                        "--limit-mm-per-prompt", '{"image":5}', "--tensor-parallel-size", "2",
                        "--reasoning-parser", "glm45", "--tool-call-parser", "glm45",
                        "--enable-auto-tool-choice", "--gpu-memory-utilization", "0.8",
                        "--max-model-len", "32768"]  # the user's --max-model-len replaces ours
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads(log.read_text())["stopped"] is True  # the server was stopped with us
    assert answers(f"http://127.0.0.1:{port}/health", timeout=1) is None


def test_without_a_gpu_serve_prints_the_command_and_exits_2(tmp_path, bin_dir):
    (bin_dir / "nvidia-smi").unlink()
    log = tmp_path / "vllm.json"
    proc = serve("Qwen/Qwen2.5-VL-7B-Instruct", bin_dir=bin_dir, log=log)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "needs a GPU and none was found" in err and "--backend transformers" in err
    assert out.strip() == ("vllm serve Qwen/Qwen2.5-VL-7B-Instruct --host 127.0.0.1 --port 8000 "
                           "--limit-mm-per-prompt '{\"image\":2,\"video\":0}' --max-model-len 65536")
    assert not log.exists()  # nothing was started


def test_without_vllm_serve_names_the_install_and_exits_2(tmp_path, bin_dir):
    (bin_dir / "vllm").unlink()
    proc = serve("zai-org/GLM-4.1V-9B-Thinking", "--protocol", "glm41v-pc", bin_dir=bin_dir,
                 log=tmp_path / "vllm.json")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "'vllm' is not installed" in err and "pip install 'guiagent[serve]'" in err
    assert out.startswith("vllm serve zai-org/GLM-4.1V-9B-Thinking ")
    assert "--max-model-len 32768" in out and "--reasoning-parser" not in out


def test_a_server_that_dies_while_loading_is_reported(tmp_path, bin_dir):
    proc = serve("ByteDance-Seed/UI-TARS-1.5-7B", "--port", str(free_port()), bin_dir=bin_dir,
                 log=tmp_path / "vllm.json", fail=True)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "exited with status 1 before it was ready" in err


@pytest.mark.parametrize("args, message", [
    (["m", "--backend", "tgi"], "--backend must be one of vllm, sglang, transformers"),
    (["m", "--protocol", "nope"], "unknown protocol 'nope'"),
])
def test_bad_usage_exits_2(tmp_path, bin_dir, args, message):
    proc = serve(*args, bin_dir=bin_dir, log=tmp_path / "vllm.json")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and message in err


def test_transformers_backend_starts_without_a_gpu(tmp_path, bin_dir):
    (bin_dir / "nvidia-smi").unlink()
    shutil.move(bin_dir / "vllm", bin_dir / "transformers")
    port, log = free_port(), tmp_path / "t.json"
    proc = serve("Qwen/Qwen3-VL-8B-Instruct", "--backend", "transformers", "--port", str(port),
                 bin_dir=bin_dir, log=log)
    try:
        first = proc.stdout.readline()
        assert first.strip() == f"serving Qwen/Qwen3-VL-8B-Instruct at http://127.0.0.1:{port}/v1"
        assert json.loads(log.read_text())["argv"] == [
            "serve", "--force-model", "Qwen/Qwen3-VL-8B-Instruct", "--host", "127.0.0.1",
            "--port", str(port)]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert proc.returncode == 0


def test_every_registered_protocol_has_serving_facts():
    assert list(FAMILIES) == list(PROTOCOL_NAMES)
