"""Printing untrusted text on the terminal: as text, never as markup or control codes.

A task, a page title, a button label, a model answer, an error quoting any of
them, a skill's description: all of it may come from someone else. Given to
rich as a string it is parsed as markup (``[/quote]`` raises MarkupError,
``[link=...]`` emits a terminal hyperlink, ``:emoji:`` codes are replaced), and
written raw it may carry escape sequences that move the cursor or set the
window title. Every CLI message is therefore built with :func:`styled`, from
pieces that are either our own wording with a style, or untrusted text that
becomes a :class:`rich.text.Text` after :func:`printable` has made its control
characters visible.
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.text import Text

# C0 and C1 control characters and DEL, except newline and tab.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    """``text`` with control characters (ESC, BEL, CR, ...) shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", str(text))


def styled(*parts: str | tuple[object, str]) -> Text:
    """A line from plain pieces (untrusted text) and ``(text, style)`` pieces.

    Nothing is parsed as markup: ``styled("error: ", (exc, "red"))`` prints the
    exception's message as it is, in red.
    """
    line = Text()
    for part in parts:
        if isinstance(part, tuple):
            line.append(printable(part[0]), style=part[1])
        else:
            line.append(printable(part))
    return line


def console(stderr: bool = True) -> Console:
    """A console for guiagent's messages: no highlighting, no emoji codes, no wrapping.

    Markup stays on for our own literal strings (and callers that ``escape``); every
    message with untrusted text in it is a :func:`styled` Text, which is never parsed.
    """
    return Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False)


def error(out: Console, message: object, prefix: str = "error:") -> None:
    """Print ``prefix`` in red and the (untrusted) message as text."""
    out.print(styled((prefix, "red"), " ", str(message)))
