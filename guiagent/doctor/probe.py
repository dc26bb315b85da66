"""The probe step of ``guiagent doctor``: one real request in the protocol's layout.

A synthetic screen with one button, the task "click it", sent as the protocol
sends a first step, streamed. The answer tells whether special tokens survive,
where the thinking arrived, how fast the first token came, and whether the
answer parses as an action of the protocol.
"""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageDraw

from ..errors import ConfigError, GuiAgentError, ModelError
from ..geometry import Size
from ..imaging import data_url, encode_image
from ..model import ModelReply, ModelSettings, OpenAIChatClient
from ..protocols.base import StepInput
from ..protocols.registry import DEFAULT_PROTOCOL, make_protocol
from ..serve.families import ServingFacts
from .checks import IMAGE_LIMIT, Diagnosis, context_error

PROBE_TASK = "Click the OK button."
PROBE_SIZE = (1280, 720)
OK_BUTTON = (560, 320, 720, 400)  # left, top, right, bottom


def probe_screen() -> Image.Image:
    """A plain screen with one large OK button in the middle."""
    image = Image.new("RGB", PROBE_SIZE, (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle(OK_BUTTON, fill=(30, 100, 220), outline=(20, 60, 160), width=3)
    draw.text((625, 352), "OK", fill=(255, 255, 255))
    return image


def build_probe(protocol: str) -> tuple[Any | None, list[dict[str, Any]], dict[str, Any], str]:
    """(adapter or None, messages, extra body, note) of the probe step for ``protocol``.

    A protocol not available in this version falls back to GLM-4.1V's pc layout:
    the server-side checks still mean something; parsing is then skipped.
    """
    try:
        adapter: Any | None = make_protocol(protocol)
        note = ""
    except ConfigError:
        adapter, note = None, (f"the {protocol} protocol is not available in this version; "
                               f"probed with {DEFAULT_PROTOCOL}'s request layout")
    screen = probe_screen()
    if adapter is not None and callable(getattr(adapter, "prepare_observation", None)):
        screen = _mark_probe_screen(adapter, screen)
    url = data_url(encode_image(screen, "png"), "image/png")
    step = StepInput(task=PROBE_TASK, image_url=url,
                     screenshot=Size(width=PROBE_SIZE[0], height=PROBE_SIZE[1]))
    request = (adapter or make_protocol(DEFAULT_PROTOCOL)).build_request(step)
    return adapter, request.messages, dict(request.extra_body), note


def _mark_probe_screen(adapter: Any, screen: Image.Image) -> Image.Image:
    """For set-of-marks protocols: the OK button as element [0], marked as a page run does."""
    from ..geometry import ScreenFrame
    from ..protocols.som import Box, Element, Marks, draw_marks

    left, top, right, bottom = OK_BUTTON
    marks = Marks([Element(index=0, tag="button", name="OK",
                           boxes=[Box(left, top, right - left, bottom - top)])])
    size = Size(width=PROBE_SIZE[0], height=PROBE_SIZE[1])
    frame = ScreenFrame(screenshot=size, surface=size)
    adapter.marks, adapter.frame = marks, frame
    return draw_marks(screen, marks, frame)


def probe_step(diag: Diagnosis, base_url: str, api_key: str, timeout: float, max_tokens: int,
               facts: ServingFacts) -> None:
    """Send the probe step (streamed) and judge its answer."""
    adapter, messages, extra_body, note = build_probe(diag.protocol)
    client = OpenAIChatClient(ModelSettings(base_url=base_url, model=diag.model, api_key=api_key,
                                            timeout=timeout, retries=0, max_tokens=max_tokens))
    try:
        reply = client.complete(messages, extra_body=extra_body)
    except ModelError as exc:
        _probe_failed(diag, str(exc), facts)
        return
    diag.probe.update({"seconds": round(reply.seconds, 3),
                       "first_token_seconds": _round(reply.first_token_seconds),
                       "tokens_per_second": reply.tokens_per_second,
                       "completion_tokens": reply.usage.completion_tokens,
                       "prompt_tokens": reply.usage.prompt_tokens,
                       "finish_reason": reply.finish_reason})
    streaming(diag, reply, client.stream_refusal)
    special_tokens(diag, reply, facts)
    thinking_field(diag, reply, facts)
    parses(diag, adapter, reply, note)


def _probe_failed(diag: Diagnosis, message: str, facts: ServingFacts) -> None:
    limit, length = IMAGE_LIMIT.search(message), context_error(message)
    if limit:
        fix = f"restart vLLM with --limit-mm-per-prompt '{{\"image\":{facts.images}}}'"
    elif length:
        fix = f"restart the server with --max-model-len {facts.max_model_len or length * 2}"
    else:
        fix = "read the server's log for why the request failed"
    diag.add("probe step", "fail", message.splitlines()[0][:300], fix)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def streaming(diag: Diagnosis, reply: ModelReply, refusal: str | None) -> None:
    """The server streams: time to first token and speed are known."""
    if reply.first_token_seconds is None:
        diag.add("streaming", "warn", f"the reply was not streamed ({refusal or 'no stream'}); "
                 "runs still work, without live thinking or time to first token",
                 "vLLM and SGLang stream by default: check for a proxy in between that "
                 "buffers or drops stream=true")
        return
    speed = (f", {reply.tokens_per_second:.1f} tokens/s" if reply.tokens_per_second
             else ", tokens/s unknown (no usage in the stream)")
    diag.add("streaming", "ok", f"first token after {reply.first_token_seconds:.2f}s{speed}, "
             f"{reply.seconds:.2f}s in all")


def special_tokens(diag: Diagnosis, reply: ModelReply, facts: ServingFacts) -> None:
    """The family's special tokens (GLM's box markers) reach the client."""
    if not facts.special_tokens:
        return
    text = (reply.content or "") + (reply.reasoning or "")
    if all(token in text for token in facts.special_tokens):
        diag.add("special tokens", "ok", f"{' '.join(facts.special_tokens)} present in the answer")
        return
    diag.add("special tokens", "warn", f"the answer has no {' '.join(facts.special_tokens)}: "
             "the server strips special tokens, so the action is found by a looser fallback",
             "let skip_special_tokens=false reach the server (guiagent sends it on every "
             "request: a proxy may drop it), or use a server version that honours it")


def thinking_field(diag: Diagnosis, reply: ModelReply, facts: ServingFacts) -> None:
    """Where the thought arrived, and whether that is where the protocol wants it."""
    content, reasoning = reply.content or "", reply.reasoning or ""
    inline = "<think>" in content or "</think>" in content
    answer_in_reasoning = any(mark in reasoning for mark in ("<answer>", "</answer>",
                                                             *facts.special_tokens))
    if reasoning and (answer_in_reasoning or not content.strip()):
        diag.add("thinking field", "fail", "the whole reply arrived in reasoning_content and "
                 "content is empty: the server's reasoning parser did not find the end of the "
                 "thought", "restart the server without --reasoning-parser" + (
                     f", or with --reasoning-parser {facts.reasoning_parser}"
                     if facts.reasoning_parser else ""))
    elif reasoning and facts.thinking_in_reasoning_field is False:
        diag.add("thinking field", "warn", "the thought arrived in reasoning_content; "
                 f"{facts.name} reads it from content", "restart without --reasoning-parser")
    elif inline and facts.thinking_in_reasoning_field and facts.reasoning_parser:
        diag.add("thinking field", "warn", "the thought arrived inline in content (<think>); "
                 f"{facts.name} is served with a reasoning parser that moves it to "
                 "reasoning_content", f"restart with --reasoning-parser {facts.reasoning_parser}"
                 " (guiagent serve sets it)")
    elif reasoning:
        diag.add("thinking field", "ok", "the thought arrived in reasoning_content "
                 "(a reasoning parser is on)")
    elif inline:
        diag.add("thinking field", "ok", "the thought arrived inline in content (<think>...)")
    else:
        diag.add("thinking field", "ok", "the reply holds no separate thought")


def parses(diag: Diagnosis, adapter: Any | None, reply: ModelReply, note: str) -> None:
    """The answer is an action of the protocol."""
    if adapter is None:
        diag.add("answer parses", "skip", note)
        return
    try:
        parsed = adapter.parse(reply.content, reply.reasoning)
    except GuiAgentError as exc:
        fix = ("raise the token budget (--thinking-tokens) or --max-model-len: the answer was "
               "cut off" if reply.finish_reason == "length" else
               f"check that the served model speaks {diag.protocol} (--protocol), and that "
               "the server's parsers leave the answer in content")
        diag.add("answer parses", "fail", f"{type(exc).__name__}: {str(exc)[:200]}", fix)
        return
    diag.probe["call"] = parsed.call
    diag.add("answer parses", "ok", f"the probe step's answer is {parsed.call[:120]}")
