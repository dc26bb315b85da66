"""Redaction at the log boundary: secret values, in every encoding, and URL credentials.

A secret leaks through the text that quotes it, and that text is rarely the
value itself: a GET form puts it URL-encoded in the next page's address
(``quote_plus``), a JSON body or error escapes it, a ``repr`` or an action call
(``type(content='it\\'s')``) backslash-escapes it, HTML escapes it. Rather than
redacting at each place that might quote it, :class:`Redactor` is applied once,
where everything is written (:class:`~guiagent.runlog.RunLog`), to every string
of every record, and knows each value's encoded forms. It also drops
``user:password@`` from any URL (a model server URL with credentials).

It cannot see a value split across strings, cut short (a text truncated in the
middle of the value), or encoded in a way not listed in :func:`encoded_forms`,
and it never touches image bytes (see docs/safety.md).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

# scheme://user[:password]@host: the userinfo part is dropped.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@\"'<>\\]+@")


def has_userinfo(text: str) -> bool:
    """Whether ``text`` holds a URL with ``user[:password]@`` that :func:`strip_userinfo` drops."""
    return "@" in text and _USERINFO.search(text) is not None


def strip_userinfo(url: str) -> str:
    """``http://user:pw@host/v1`` -> ``http://host/v1`` (any URL inside ``url`` too)."""
    return _USERINFO.sub(r"\1", url)


def _call_escaped(text: str, quote_char: str) -> str:
    return text.replace("\\", "\\\\").replace(quote_char, "\\" + quote_char)


_ENCODERS = (
    lambda s: quote(s), lambda s: quote(s, safe=""), lambda s: quote_plus(s),
    lambda s: quote_plus(s, safe=""),
    lambda s: json.dumps(s)[1:-1], lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    lambda s: repr(s)[1:-1], lambda s: _call_escaped(s, "'"), lambda s: _call_escaped(s, '"'),
    lambda s: s.encode("unicode_escape").decode("ascii"),
    lambda s: html.escape(s), lambda s: html.escape(s, quote=False),
)


def encoded_forms(value: str) -> set[str]:
    """``value`` as text quoting it may hold it: itself, each encoding, and each twice."""
    once = {value} | {encode(value) for encode in _ENCODERS}
    twice = {encode(form) for form in once for encode in _ENCODERS}
    return {form for form in once | twice if form}


class Redactor:
    """Replaces secret values (and their encoded forms) by placeholders, in one pass.

    ``secrets`` maps each value to the text that replaces it. The longest form is
    replaced first, so a secret containing another is never half-replaced.
    """

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        pairs: dict[str, str] = {}
        for value, replacement in (secrets or {}).items():
            for form in encoded_forms(value):
                pairs.setdefault(form, replacement)
        self._replacement = pairs
        self._pattern = (re.compile("|".join(re.escape(f) for f in
                                             sorted(pairs, key=lambda f: (-len(f), f))))
                         if pairs else None)

    def __bool__(self) -> bool:
        return self._pattern is not None

    @property
    def longest(self) -> int:
        """The length of the longest form a secret can take in text (0: no secrets)."""
        return max(map(len, self._replacement), default=0)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the secret forms are in ``text`` (start, end), left to right."""
        if self._pattern is None:
            return []
        return [m.span() for m in self._pattern.finditer(text)]

    def text(self, text: str) -> str:
        """``text`` with every secret form replaced and URL credentials dropped."""
        if self._pattern is not None:
            text = self._pattern.sub(lambda m: self._replacement[m.group(0)], text)
        return strip_userinfo(text) if "@" in text else text

    def data(self, value: Any) -> Any:
        """Redact every string (keys too) in JSON-like data."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.data(v)
                    for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value

    def merged(self, other: Redactor) -> Redactor:
        """A redactor knowing the secrets of both."""
        merged = Redactor()
        merged._replacement = {**other._replacement, **self._replacement}
        forms = sorted(merged._replacement, key=lambda f: (-len(f), f))
        merged._pattern = re.compile("|".join(map(re.escape, forms))) if forms else None
        return merged


NO_SECRETS = Redactor()
