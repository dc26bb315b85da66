"""A family's prompt template, its own or the user's, checked before the first request.

Used by the ui-tars, qwen25vl, qwen3vl and json protocols: the packaged file
(``guiagent/prompts/<file>``) or ``--prompt-template``'s text, checked against
the family's placeholders (:func:`~guiagent.protocols.templates.checked_template`),
and refused when the run brings tips the template has no ``$tips`` for.
"""

from __future__ import annotations

from string import Template

from ..errors import ConfigError
from .templates import Placeholder, checked_template, packaged_text


def family_template(user_text: str | None, template_file: str,
                    placeholders: tuple[Placeholder, ...], protocol: str,
                    tips: str | None) -> Template:
    """The checked template: ``user_text`` (``--prompt-template``) or the packaged file."""
    source = "the prompt template" if user_text is not None else template_file
    template = checked_template(user_text if user_text is not None else packaged_text(template_file),
                                placeholders, protocol=protocol, source=source)
    if tips and "tips" not in template.get_identifiers():
        raise ConfigError(f"{source} has no $tips, but this run gives the model tips (--tips, or "
                          "how to type secrets): add $tips where they belong")
    return template
