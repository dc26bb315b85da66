"""Which protocol a name or a served model means, and how to build one.

A family registers itself with one line in :data:`FAMILIES`: its name, the
``module:Class`` that implements :class:`~guiagent.protocols.base.ProtocolAdapter`
(imported only when asked for), and the model-name patterns that select it.
A name whose module is not in the package yet is listed, but asking for it is
a clear "not available yet" error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from ..errors import ConfigError
from .base import ProtocolAdapter
from .templates import Placeholder, checked_template

DEFAULT_PROTOCOL = "glm41v-pc"


@dataclass(frozen=True)
class Family:
    """One registered protocol: its name, implementation and the model names it serves."""

    name: str
    target: str  # "module:Class", imported lazily
    models: tuple[str, ...] = ()  # regular expressions matched (case-insensitive) on model names
    summary: str = ""


# One line per family. Order matters for protocol_for_model: the first match wins.
FAMILIES: tuple[Family, ...] = (
    Family("glm41v-pc", "guiagent.protocols.glm41v_pc:Glm41vPcProtocol",
           (r"glm-?4\.1v",), "GLM-4.1V-Thinking, desktop (pc) protocol"),
    Family("glm41v-web", "guiagent.protocols.glm41v_web:Glm41vWebProtocol", (),
           "GLM-4.1V web protocol: set-of-marks on browser pages"),
    Family("glm45v", "guiagent.protocols.glm45v:Glm45vProtocol",
           (r"glm-?4\.[56]v",), "GLM-4.5V and GLM-4.6V, desktop protocol"),
    Family("ui-tars", "guiagent.protocols.ui_tars:UiTarsProtocol",
           (r"ui-?tars",), "UI-TARS-1.5"),
    Family("qwen25vl", "guiagent.protocols.qwen25vl:Qwen25vlProtocol",
           (r"qwen2\.5-?vl", r"qwen2_5_vl"), "Qwen2.5-VL computer use"),
    Family("qwen3vl", "guiagent.protocols.qwen3vl:Qwen3vlProtocol",
           (r"qwen3-?vl",), "Qwen3-VL computer use"),
    Family("json", "guiagent.protocols.json_schema:JsonSchemaProtocol", (),
           "any OpenAI-compatible VLM: actions as a JSON schema"),
)

PROTOCOL_NAMES: tuple[str, ...] = tuple(f.name for f in FAMILIES)


def family(name: str) -> Family:
    """The registered family called ``name``; ConfigError listing the names otherwise."""
    for fam in FAMILIES:
        if fam.name == name:
            return fam
    raise ConfigError(f"unknown protocol {name!r}: choose one of {', '.join(PROTOCOL_NAMES)}")


def protocol_class(name: str) -> type[Any]:
    """The class implementing ``name`` (imported now)."""
    fam = family(name)
    module_name, _, attr = fam.target.partition(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ConfigError(
            f"the {name!r} protocol is not available yet in this version of guiagent; "
            f"available now: {', '.join(available_protocols())}") from exc
    return getattr(module, attr)


def available_protocols() -> list[str]:
    """The registered names whose implementation is installed."""
    found = []
    for fam in FAMILIES:
        module_name = fam.target.partition(":")[0]
        try:
            import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        found.append(fam.name)
    return found


def placeholders_of(cls: type[Any]) -> tuple[Placeholder, ...]:
    """The placeholders a family's template may use.

    Its ``placeholders`` (:class:`Placeholder` values), else its module's ``PLACEHOLDERS``
    names, of which ``task`` is required (a prompt without the task is no prompt).
    """
    declared = getattr(cls, "placeholders", None)
    if declared:
        return tuple(declared)
    names = getattr(import_module(cls.__module__), "PLACEHOLDERS", ())
    return tuple(Placeholder(n, "", required=n == "task") for n in names)


def make_protocol(name: str, *, tips: str | None = None,
                  prompt_template: str | None = None) -> ProtocolAdapter:
    """Build the protocol ``name`` with the run's tips and, optionally, a user's template text.

    A user's template is checked against the family's placeholders first: unknown
    or missing ones, and a template without ``$tips`` on a run with tips, are a
    ConfigError naming them.
    """
    cls = protocol_class(name)
    if prompt_template is not None:
        placeholders = placeholders_of(cls)
        if placeholders:
            template = checked_template(prompt_template, placeholders, protocol=name)
            if tips and any(p.name == "tips" for p in placeholders) and \
                    "tips" not in template.get_identifiers():
                raise ConfigError("the prompt template has no $tips, but this run gives the "
                                  "model tips (--tips, or how to type secrets): add $tips where "
                                  "they belong")
    return cls(tips=tips, prompt_template=prompt_template)


def protocol_for_model(model_name: str | None) -> str:
    """The protocol a served model speaks, from its name; ``glm41v-pc`` when nothing matches."""
    text = (model_name or "").lower()
    for fam in FAMILIES:
        if any(re.search(pattern, text) for pattern in fam.models):
            return fam.name
    return DEFAULT_PROTOCOL


def resolve_protocol(protocol: str | ProtocolAdapter | None, model_name: str | None, *,
                     tips: str | None = None, prompt_template: str | None = None,
                     ) -> ProtocolAdapter:
    """What a run uses: an adapter as given, a name, or the one the model name implies."""
    if protocol is not None and not isinstance(protocol, str):
        return protocol.with_tips(tips) if tips else protocol
    name = protocol or protocol_for_model(model_name)
    return make_protocol(name, tips=tips, prompt_template=prompt_template)
