"""Canonical key names, and the aliases models and people use for them.

The model writes ``key(keys='ctrl+shift+t')``; every driver receives the same
list of canonical names (``["ctrl", "shift", "t"]``) and maps them to its own
vocabulary (Playwright, pyautogui, xdotool) in one table each.
"""

from __future__ import annotations

from .errors import ActionRefusedError

#: Canonical names of non-character keys.
NAMED_KEYS = frozenset(
    {
        "ctrl", "shift", "alt", "meta",
        "enter", "tab", "space", "backspace", "delete", "escape", "insert",
        "up", "down", "left", "right", "home", "end", "pageup", "pagedown",
        "capslock", "printscreen", "menu",
        *(f"f{i}" for i in range(1, 13)),
    }
)

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta"})

_ALIASES = {
    "control": "ctrl", "ctl": "ctrl", "lctrl": "ctrl", "rctrl": "ctrl",
    "option": "alt", "lalt": "alt", "ralt": "alt", "altgr": "alt",
    "cmd": "meta", "command": "meta", "win": "meta", "windows": "meta", "super": "meta",
    "return": "enter", "kp_enter": "enter",
    "esc": "escape",
    "del": "delete",
    "ins": "insert",
    "bksp": "backspace", "back_space": "backspace", "backspace": "backspace",
    "arrowup": "up", "arrowdown": "down", "arrowleft": "left", "arrowright": "right",
    "uparrow": "up", "downarrow": "down", "leftarrow": "left", "rightarrow": "right",
    "pgup": "pageup", "page_up": "pageup", "prior": "pageup",
    "pgdn": "pagedown", "pgdown": "pagedown", "page_down": "pagedown", "next": "pagedown",
    "spacebar": "space", "caps_lock": "capslock", "print": "printscreen",
    "plus": "+",
}


def normalize_key(name: str) -> str:
    """Return the canonical name of one key (``Return`` -> ``enter``, ``A`` -> ``a``)."""
    raw = name.strip()
    if not raw:
        raise ActionRefusedError("empty key name in key combination")
    if len(raw) == 1:
        return raw.lower() if raw.isalpha() else raw
    low = raw.lower().replace("-", "_")
    low = _ALIASES.get(low, low)
    if low in NAMED_KEYS or len(low) == 1:
        return low
    raise ActionRefusedError(
        f"unknown key name {name!r}; use names such as ctrl, shift, alt, enter, tab, "
        "escape, pagedown or single characters"
    )


def parse_combo(keys: str) -> list[str]:
    """Split ``'ctrl+shift+t'`` (or ``'ctrl shift t'``) into canonical key names."""
    text = keys.strip()
    if not text:
        raise ActionRefusedError("key action without keys")
    if text == "+":
        return ["+"]
    if "+" in text:
        parts = text.split("+")
        # "ctrl++" means ctrl and the plus key
        if text.endswith("++"):
            parts = [*text[:-2].split("+"), "+"]
    else:
        parts = text.split()
    return [normalize_key(p) for p in parts if p != ""]


def combo_text(keys: list[str]) -> str:
    """Render canonical names back as the model writes them."""
    return "+".join(keys)
