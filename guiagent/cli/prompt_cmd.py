"""``guiagent prompt show``: the effective request of a sample step, as the model would get it.

It builds step 3 of a sample task (two earlier steps, answered the way the
family answers, each with its screenshot) with the real protocol and the
user's ``--prompt-template`` if given, and prints every message in order: the
text in full, each image as its role and size. Nothing is sent anywhere.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from PIL import Image, ImageDraw

from ..errors import GuiAgentError
from ..geometry import Size
from ..imaging import data_url, encode_image, half_size
from ..protocols.base import HistoryEntry, ProtocolAdapter, StepInput, message_parts
from ..protocols.registry import DEFAULT_PROTOCOL, family, placeholders_of
from ..protocols.templates import describe_placeholders
from .protocol_options import PromptTemplateOption, ProtocolOption, chosen_protocol
from .terminal import console, error

prompt_app = typer.Typer(no_args_is_help=True, help="Inspect the prompts the protocols send.")

SAMPLE_TASK = "Fill the contact form as Ada Lovelace (ada@example.org) and send it."


def sample_screen(size: Size, label: str) -> Image.Image:
    """A plain screenshot with a label, so image order is visible when saved."""
    image = Image.new("RGB", (size.width, size.height), "white")
    ImageDraw.Draw(image).text((20, 20), label, fill="black")
    return image


def _sample_history(protocol: ProtocolAdapter, size: Size) -> list[HistoryEntry]:
    """Two earlier steps answered in the family's own format (its stand-in's), then parsed."""
    from ..testing.standins import STANDINS, IntendedAction, standin

    intended = [IntendedAction("click", (0.5, 0.3), info="Full name field",
                               say="I click the Full name field.", memory=["form opened"]),
                IntendedAction("type", text="Ada Lovelace", say="I type the name.",
                               memory=["form opened"])]
    entries = []
    for n, action in enumerate(intended, start=1):
        image = sample_screen(size, f"step {n}")
        text, call = action.say, ""
        if protocol.name in STANDINS:
            try:
                parsed = protocol.parse(standin(protocol.name).answer(action, size))
                text, call = parsed.answer_text, parsed.call
            except (GuiAgentError, ValueError):  # e.g. set-of-marks: no marked element here
                pass
        entries.append(HistoryEntry(
            answer_text=text, call=call, screenshot=size,
            thumbnail_url=data_url(encode_image(half_size(image), "png"), "image/png"),
            image_url=data_url(encode_image(image, "png"), "image/png")))
    return entries


def describe_request(protocol: ProtocolAdapter, step: StepInput) -> list[str]:
    """The request's messages as printable lines: text in full, images as role and size."""
    request = protocol.build_request(step)
    roles = iter(request.images)
    lines: list[str] = []
    if request.extra_body:
        lines.append(f"extra request fields: {json.dumps(request.extra_body, sort_keys=True)}")
    for n, message in enumerate(request.messages, start=1):
        lines.append(f"--- message {n}: {message.get('role', 'user')} ---")
        content = message.get("content")
        parts: list[dict[str, Any]] = (
            [{"type": "text", "text": content}] if isinstance(content, str) else content or [])
        for part in parts:
            if part.get("type") == "image_url":
                _, images, mimes = message_parts([{"role": "user", "content": [part]}])
                role = next(roles, {})
                what = ("current screenshot" if role.get("role") == "current"
                        else f"{role.get('role', 'image')} screenshot")
                size = f"{images[0].width}x{images[0].height} {mimes[0]}" if images else "(not data:)"
                lines.append(f"[image: {what}, step {role.get('step', '?')}, {size}]")
            elif part.get("type") == "text":
                lines.append(part["text"].rstrip("\n"))
    return lines


@prompt_app.command("show")
def show(
    protocol: ProtocolOption = None,
    prompt_template: PromptTemplateOption = None,
    screenshot: Annotated[str, typer.Option(
        help="Size of the sample screenshots, WxH.")] = "1280x720",
    tips: Annotated[str | None, typer.Option(help="Tips to put into the prompt.")] = None,
) -> None:
    """Print the effective request of a sample step: text, image order and sizes."""
    try:
        adapter, line = chosen_protocol(protocol or DEFAULT_PROTOCOL, None, tips=tips,
                                        prompt_template=prompt_template)
        size = Size.parse(screenshot)
    except (GuiAgentError, ValueError) as exc:
        error(console(), exc)
        raise typer.Exit(2) from None
    current = sample_screen(size, "current")
    step = StepInput(task=SAMPLE_TASK, image_url=data_url(encode_image(current, "png"), "image/png"),
                     screenshot=size, history=_sample_history(adapter, size),
                     memory=["form opened", "name typed"], url="http://127.0.0.1:8000/contact",
                     title="Contact us")
    # A family that does not declare its template file or placeholders yet still shows.
    builtin = getattr(adapter, "template_file", None)
    source = str(prompt_template) if prompt_template else \
        f"built-in (guiagent/prompts/{builtin})" if builtin else "built-in"
    placeholders = describe_placeholders(placeholders_of(type(adapter)))
    out = [line.split(" (")[0] + f" ({family(adapter.name).summary})",
           f"coordinates: {adapter.coordinates.describe()}",
           f"template: {source}", *(["placeholders:"] if placeholders else []),
           *(f"  {p}" for p in placeholders),
           f"sample: step {step.index} of {SAMPLE_TASK!r}, {len(step.history)} earlier step(s), "
           f"screenshot {size}", "", *describe_request(adapter, step)]
    typer.echo("\n".join(out))


def register(app: typer.Typer) -> None:
    """Add the ``prompt`` command group to the CLI."""
    app.add_typer(prompt_app, name="prompt")


__all__ = ["describe_request", "register", "show"]
