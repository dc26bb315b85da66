"""``--protocol``: the option every model-driving command shares, and how it is resolved.

Without it the protocol follows the served model's name
(:func:`~guiagent.protocols.registry.protocol_for_model`); either way the
choice is printed, so a wrong guess is visible before the first step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from ..protocols.base import ProtocolAdapter
from ..protocols.registry import PROTOCOL_NAMES, make_protocol, protocol_for_model
from ..protocols.templates import read_template_file

ProtocolOption = Annotated[str | None, typer.Option(
    "--protocol", metavar="NAME",
    help=f"The model family's protocol: {', '.join(PROTOCOL_NAMES)} "
    "[default: from the model name, else glm41v-pc; for a replay: the recorded one].")]


PromptTemplateOption = Annotated[Path | None, typer.Option(
    "--prompt-template", metavar="FILE",
    help="Use this prompt template instead of the protocol's own ($placeholders: "
    "`guiagent prompt show --protocol NAME` lists them; docs/protocols.md).")]


def template_text(path: Path | None) -> str | None:
    """The text of --prompt-template FILE (ConfigError when it cannot be read)."""
    return read_template_file(path) if path is not None else None


def chosen_protocol(name: str | None, model: str | None, *, tips: str | None = None,
                    prompt_template: Path | None = None) -> tuple[ProtocolAdapter, str]:
    """The protocol to use and a line saying which and why.

    ConfigError for a bad name, or a template file that cannot be read or has
    unknown or missing placeholders.
    """
    picked = name or protocol_for_model(model)
    protocol = make_protocol(picked, tips=tips, prompt_template=template_text(prompt_template))
    why = "--protocol" if name else f"from the model name {model!r}"
    line = f"protocol: {picked} ({why})"
    if prompt_template is not None:
        line += f", prompt template {prompt_template}"
    return protocol, line


ThinkingOption = Annotated[str | None, typer.Option(
    "--thinking", metavar="on|off",
    help="Turn the model's thinking on or off with every request (chat_template_kwargs "
    "enable_thinking; protocols with the switch: glm45v) [default: the server's].")]


def with_thinking(protocol: ProtocolAdapter, value: str | None) -> ProtocolAdapter:
    """``protocol`` with its thinking switch set from ``--thinking`` (unchanged when None)."""
    if value is None:
        return protocol
    if value not in ("on", "off"):
        raise ConfigError(f"--thinking takes on or off, not {value!r}")
    if not hasattr(protocol, "thinking"):
        raise ConfigError(f"the {protocol.name} protocol has no thinking switch; leave out "
                          "--thinking (glm45v has one: GLM-4.5V and GLM-4.6V)")
    protocol.thinking = value == "on"
    return protocol
