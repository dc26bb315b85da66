import os
import shutil

import pytest

from guiagent.sandboxes.web import WebSandbox


def pytest_collection_modifyitems(config, items):
    """Tests needing system tools fail loudly in CI (GUIAGENT_REQUIRE_ALL=1), else skip."""
    if os.environ.get("GUIAGENT_REQUIRE_ALL") == "1":
        return
    need = {"desktop": "Xvfb", "office": "soffice"}
    for item in items:
        for marker, tool in need.items():
            if item.get_closest_marker(marker) and shutil.which(tool) is None:
                item.add_marker(pytest.mark.skip(reason=f"{tool} is not installed"))


@pytest.fixture(scope="session")
def web_sandbox():
    with WebSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(web_sandbox):
    web_sandbox.reset()
    return web_sandbox


@pytest.fixture(scope="module")
def shared_browser():
    """One Chromium per test module (each test opens its own context in it).

    Module scope, not session: other modules start Playwright's sync API themselves,
    which fails while another instance runs in the same thread.
    """
    from guiagent.eval.envs import WorkerBrowser

    browser = WorkerBrowser()
    yield browser
    browser.close()


@pytest.fixture(scope="session", autouse=True)
def cpu_hog_from_env():
    """GUIAGENT_CPU_HOG=N keeps N busy processes running for the session (scripts/desktop_load_tests.sh)."""
    count = int(os.environ.get("GUIAGENT_CPU_HOG", "0") or 0)
    if count <= 0:
        yield
        return
    from cpu_hog import cpu_hog

    with cpu_hog(count):
        yield


def interruptible() -> None:
    """``preexec_fn`` for a child a test will Ctrl-C: SIGINT at its default and not blocked.

    An ignored or blocked SIGINT survives exec, so a child would inherit whatever the test
    process (or the shell that started CI in the background) did with it.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
