"""Canonical key names (:mod:`guiagent.keys`) in pyautogui's and xdotool's vocabularies.

Both tools fail quietly on names they do not know (pyautogui ignores them,
xdotool may type something else), so every name is translated through an
explicit table and anything unknown is refused before a key is pressed.
"""

from __future__ import annotations

from ..errors import ActionRefusedError

_NAMED_PYAUTOGUI = {
    "ctrl": "ctrl", "shift": "shift", "alt": "alt", "meta": "win",
    "enter": "enter", "tab": "tab", "space": "space", "backspace": "backspace",
    "delete": "delete", "escape": "esc", "insert": "insert",
    "up": "up", "down": "down", "left": "left", "right": "right",
    "home": "home", "end": "end", "pageup": "pageup", "pagedown": "pagedown",
    "capslock": "capslock", "printscreen": "printscreen", "menu": "apps",
    **{f"f{i}": f"f{i}" for i in range(1, 13)},
}

_NAMED_XDOTOOL = {
    "ctrl": "ctrl", "shift": "shift", "alt": "alt", "meta": "super",
    "enter": "Return", "tab": "Tab", "space": "space", "backspace": "BackSpace",
    "delete": "Delete", "escape": "Escape", "insert": "Insert",
    "up": "Up", "down": "Down", "left": "Left", "right": "Right",
    "home": "Home", "end": "End", "pageup": "Prior", "pagedown": "Next",
    "capslock": "Caps_Lock", "printscreen": "Print", "menu": "Menu",
    **{f"f{i}": f"F{i}" for i in range(1, 13)},
}

#: X11 keysym names of the printable ASCII characters that are not letters or digits.
PUNCTUATION_KEYSYMS = {
    " ": "space", "!": "exclam", '"': "quotedbl", "#": "numbersign", "$": "dollar",
    "%": "percent", "&": "ampersand", "'": "apostrophe", "(": "parenleft",
    ")": "parenright", "*": "asterisk", "+": "plus", ",": "comma", "-": "minus",
    ".": "period", "/": "slash", ":": "colon", ";": "semicolon", "<": "less",
    "=": "equal", ">": "greater", "?": "question", "@": "at", "[": "bracketleft",
    "\\": "backslash", "]": "bracketright", "^": "asciicircum", "_": "underscore",
    "`": "grave", "{": "braceleft", "|": "bar", "}": "braceright", "~": "asciitilde",
}


def _is_plain_char(name: str) -> bool:
    return len(name) == 1 and name.isascii() and name.isprintable()


def pyautogui_key(name: str) -> str:
    """pyautogui's name for one canonical key."""
    if name in _NAMED_PYAUTOGUI:
        return _NAMED_PYAUTOGUI[name]
    if _is_plain_char(name):
        return name
    raise ActionRefusedError(
        f"key {name!r} cannot be pressed with pyautogui; use type() for non-ASCII text "
        "or the xdotool backend"
    )


def xdotool_key(name: str) -> str:
    """xdotool's keysym for one canonical key."""
    if name in _NAMED_XDOTOOL:
        return _NAMED_XDOTOOL[name]
    if _is_plain_char(name):
        return name if name.isalnum() else PUNCTUATION_KEYSYMS[name]
    if len(name) == 1:
        # xdotool understands Unicode keysyms of the form U+XXXX as 0x1000000 + code point.
        return f"0x{0x1000000 + ord(name):x}"
    raise ActionRefusedError(f"key {name!r} has no X11 keysym")


def xdotool_combo(keys: list[str]) -> str:
    """``['ctrl', 'shift', 't']`` -> ``'ctrl+shift+t'`` in xdotool keysyms."""
    return "+".join(xdotool_key(k) for k in keys)
