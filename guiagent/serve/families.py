"""What each model family needs from its server, keyed by protocol name.

These are the serving facts of /work/shared/model-families.md and
glm41v-gui-protocol.md as data: how many images one request of the family's
protocol carries (vLLM's ``--limit-mm-per-prompt``), the context to allow, and
the reasoning/tool parsers the family's authors serve it with. ``guiagent serve``
turns them into a command line; ``guiagent doctor`` checks a running server
against them. The names are the protocol registry's (guiagent/protocols).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocols.registry import protocol_for_model


@dataclass(frozen=True)
class ServingFacts:
    """How to serve one family so its protocol works."""

    name: str
    #: Model ids this family is served as (the first is the example in docs).
    models: tuple[str, ...]
    #: Images one request of the protocol may carry (current screenshot + history).
    images: int
    #: Context length to serve with (tokens).
    max_model_len: int | None
    #: vLLM/SGLang ``--reasoning-parser`` (None: the protocol reads thinking from content).
    reasoning_parser: str | None = None
    #: vLLM/SGLang ``--tool-call-parser`` (with ``--enable-auto-tool-choice``).
    tool_parser: str | None = None
    #: Whether the protocol expects the thought in ``reasoning_content`` (True), in
    #: ``content`` (False), or either (None).
    thinking_in_reasoning_field: bool | None = None
    #: Special tokens that must survive in the answer (``skip_special_tokens: false``).
    special_tokens: tuple[str, ...] = ()
    #: Whether the recipes turn video inputs off (``"video": 0``: less memory profiled).
    video_off: bool = False
    #: The image limit to serve with, when the recipe allows more than the protocol sends.
    serve_images: int | None = None
    #: Other vLLM flags the family's recipe recommends.
    vllm_flags: tuple[str, ...] = ()
    #: Rough prompt size of one step at 1280x720 with full history (tokens), for doctor.
    step_tokens: int = 8000


_GLM_BOX = ("<|begin_of_box|>", "<|end_of_box|>")

FAMILIES: dict[str, ServingFacts] = {f.name: f for f in (
    ServingFacts("glm41v-pc", ("zai-org/GLM-4.1V-9B-Thinking",), images=5,
                 max_model_len=32768, special_tokens=_GLM_BOX, step_tokens=9000),
    ServingFacts("glm41v-web", ("zai-org/GLM-4.1V-9B-Thinking",), images=1,
                 max_model_len=32768, step_tokens=4000),
    ServingFacts("glm45v", ("zai-org/GLM-4.5V", "zai-org/GLM-4.6V", "zai-org/GLM-4.6V-Flash"),
                 images=5, max_model_len=65536, reasoning_parser="glm45",
                 tool_parser="glm45", thinking_in_reasoning_field=True, special_tokens=_GLM_BOX,
                 step_tokens=9000),
    ServingFacts("ui-tars", ("ByteDance-Seed/UI-TARS-1.5-7B",), images=5,
                 max_model_len=20000, step_tokens=9000),
    ServingFacts("qwen25vl", ("Qwen/Qwen2.5-VL-7B-Instruct",), images=1, serve_images=2,
                 max_model_len=65536, video_off=True, step_tokens=3000),
    ServingFacts("qwen3vl", ("Qwen/Qwen3-VL-8B-Instruct",), images=5,
                 max_model_len=128000, video_off=True, step_tokens=8000,
                 vllm_flags=("--mm-processor-cache-type", "shm")),
    ServingFacts("json", (), images=1, max_model_len=None, step_tokens=3000),
)}


def facts_for(name: str) -> ServingFacts:
    """The serving facts of protocol ``name`` (ValueError naming the known ones)."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}; known: {', '.join(FAMILIES)}") from None


def family_for_model(model: str) -> str:
    """The protocol name a served model name implies (the registry's choice)."""
    return protocol_for_model(model)
