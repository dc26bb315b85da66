"""Key name tables of the desktop backends (no display needed)."""

import pytest

from guiagent.drivers.desktop_keys import pyautogui_key, xdotool_combo, xdotool_key
from guiagent.errors import ActionRefusedError
from guiagent.keys import NAMED_KEYS, parse_combo


@pytest.mark.parametrize(
    ("combo", "xdotool"),
    [("ctrl+shift+t", "ctrl+shift+t"), ("Return", "Return"), ("pagedown", "Next"),
     ("PgUp", "Prior"), ("esc", "Escape"), ("cmd+space", "super+space"), ("ctrl++", "ctrl+plus"),
     ("shift+/", "shift+slash"), ("F11", "F11"), ("backspace", "BackSpace")],
)
def test_xdotool_keysyms(combo, xdotool):
    assert xdotool_combo(parse_combo(combo)) == xdotool


def test_every_canonical_key_has_a_name_in_both_tables():
    for name in NAMED_KEYS:
        assert pyautogui_key(name)
        assert xdotool_key(name)


def test_pyautogui_names():
    assert [pyautogui_key(k) for k in parse_combo("ctrl+alt+delete")] == ["ctrl", "alt", "delete"]
    assert pyautogui_key("escape") == "esc"
    assert pyautogui_key("meta") == "win"
    with pytest.raises(ActionRefusedError, match="type"):
        pyautogui_key("é")


def test_xdotool_unicode_keysym():
    assert xdotool_key("é") == "0x10000e9"
