"""Which Chromium guiagent launches: headless runs prefer a headless shell on PATH."""

import os
import stat
from types import SimpleNamespace

import pytest

from guiagent.drivers.browser import find_chromium
from guiagent.errors import ConfigError


def _executable(folder, name):
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def no_playwright_browser():
    """A Playwright whose own Chromium is not installed (as on Debian without downloads)."""
    return SimpleNamespace(chromium=SimpleNamespace(executable_path="/nonexistent/chrome"))


def test_headless_prefers_the_headless_shell(tmp_path, monkeypatch, no_playwright_browser):
    monkeypatch.delenv("GUIAGENT_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    full = _executable(tmp_path, "chromium")
    shell = _executable(tmp_path, "chromium-headless-shell")
    assert find_chromium(no_playwright_browser, headless=True) == shell
    assert find_chromium(no_playwright_browser, headless=False) == full
    # An explicit choice wins, headless or not.
    monkeypatch.setenv("GUIAGENT_CHROMIUM", full)
    assert find_chromium(no_playwright_browser, headless=True) == full


def test_without_a_headless_shell_headless_runs_use_full_chromium(tmp_path, monkeypatch,
                                                                   no_playwright_browser):
    monkeypatch.delenv("GUIAGENT_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    full = _executable(tmp_path, "chromium")
    assert find_chromium(no_playwright_browser, headless=True) == full
    os.remove(full)
    with pytest.raises(ConfigError, match="no Chromium found"):
        find_chromium(no_playwright_browser, headless=True)
