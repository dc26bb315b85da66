"""The command line that serves a model with its family's flags, per backend.

vLLM is the default (``vllm serve``); SGLang (``python -m sglang.launch_server``)
takes the same parsers under its own flag names; ``transformers serve`` is the
path for machines where vLLM does not run (it takes images too, and needs no
GPU). A flag the user passes after ``--`` replaces the one built here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Literal

from .families import ServingFacts

Backend = Literal["vllm", "sglang", "transformers"]
BACKENDS: tuple[Backend, ...] = ("vllm", "sglang", "transformers")


@dataclass(frozen=True)
class ServeCommand:
    """What to run, and what it needs to run."""

    argv: list[str]
    backend: Backend
    needs_gpu: bool
    #: The executable that must be on PATH (or None: a Python module, see ``module``).
    executable: str | None
    module: str | None = None
    install: str = ""


def build_command(model: str, facts: ServingFacts, backend: Backend, *, host: str, port: int,
                  tp: int, extra: list[str]) -> ServeCommand:
    """The server's argv for ``model`` served the way ``facts`` says."""
    if backend == "vllm":
        limits: dict[str, int] = {"image": facts.serve_images or facts.images}
        if facts.video_off:
            limits["video"] = 0
        flags: list[tuple[str, str | None]] = [
            ("--host", host), ("--port", str(port)),
            ("--limit-mm-per-prompt", json.dumps(limits, separators=(",", ":")))]
        if tp > 1:
            flags.append(("--tensor-parallel-size", str(tp)))
        if facts.max_model_len:
            flags.append(("--max-model-len", str(facts.max_model_len)))
        if facts.reasoning_parser:
            flags.append(("--reasoning-parser", facts.reasoning_parser))
        if facts.tool_parser:
            flags += [("--tool-call-parser", facts.tool_parser), ("--enable-auto-tool-choice", None)]
        flags += [(flag, value) for flag, value in zip(facts.vllm_flags[::2], facts.vllm_flags[1::2],
                                                        strict=True)]
        return ServeCommand(["vllm", "serve", model, *_merge(flags, extra)], backend, True, "vllm",
                            install="pip install 'guiagent[serve]'  # vLLM, needs a CUDA GPU")
    if backend == "sglang":
        flags = [("--model-path", model), ("--host", host), ("--port", str(port))]
        if tp > 1:
            flags.append(("--tp-size", str(tp)))
        if facts.max_model_len:
            flags.append(("--context-length", str(facts.max_model_len)))
        if facts.reasoning_parser:
            flags.append(("--reasoning-parser", facts.reasoning_parser))
        if facts.tool_parser:
            flags.append(("--tool-call-parser", facts.tool_parser))
        return ServeCommand([sys.executable, "-m", "sglang.launch_server", *_merge(flags, extra)],
                            backend, True, None, module="sglang",
                            install="pip install 'sglang[all]'  # needs a CUDA GPU")
    flags = [("--force-model", model), ("--host", host), ("--port", str(port))]
    return ServeCommand(["transformers", "serve", *_merge(flags, extra)], backend, False,
                        "transformers", install="pip install 'transformers[serving]'")


def _merge(flags: list[tuple[str, str | None]], extra: list[str]) -> list[str]:
    """Our flags, minus those the user's ``extra`` sets itself, then ``extra``."""
    given = {arg.split("=", 1)[0] for arg in extra if arg.startswith("-")}
    out: list[str] = []
    for flag, value in flags:
        if flag in given:
            continue
        out += [flag] if value is None else [flag, value]
    return out + list(extra)


def missing(command: ServeCommand) -> str | None:
    """Why the command cannot run here (no backend, no GPU), or None."""
    if command.executable and shutil.which(command.executable) is None:
        return f"{command.executable!r} is not installed (not on PATH); {command.install}"
    if command.module:
        import importlib.util

        if importlib.util.find_spec(command.module) is None:
            return f"the {command.module!r} package is not installed; {command.install}"
    if command.needs_gpu and not gpus():
        return (f"{command.backend} needs a GPU and none was found (nvidia-smi -L lists "
                f"none); on a machine without one, try --backend transformers")
    return None


def gpus() -> list[str]:
    """The GPUs ``nvidia-smi -L`` lists (empty without the tool or a GPU)."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return []
    try:
        out = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=20,
                             check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line for line in out.stdout.splitlines() if line.startswith("GPU ")]
