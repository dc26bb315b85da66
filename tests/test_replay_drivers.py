"""Which driver a replay builds from run.json, and what it refuses (no browser started)."""

import os
import subprocess
import sys

import pytest

from guiagent.drivers.playwright import PlaywrightDriver
from guiagent.errors import ConfigError
from guiagent.geometry import Size
from guiagent.replay import driver_for_run
from guiagent.runlog import RunLog, RunRecord
from guiagent.secrets import Secrets, SecretsDriver

BROWSER = {"name": "playwright", "url": "http://127.0.0.1:9/start", "viewport": "800x600",
           "device_scale_factor": 2.0, "screenshot_scale": "device", "image_format": "png"}


def record(**driver):
    return RunRecord(task="t", driver=driver)


def test_browser_settings_come_from_the_log():
    driver = driver_for_run(record(**BROWSER))
    assert isinstance(driver, PlaywrightDriver) and driver.page is None
    assert (driver.url, driver.viewport, driver.device_scale_factor, driver.screenshot_scale,
            driver.image_format) == (BROWSER["url"], Size(width=800, height=600), 2.0, "device",
                                     "png")
    assert driver_for_run(record(**BROWSER), url="http://127.0.0.1:9/other").url.endswith("/other")


@pytest.mark.parametrize(("driver", "options", "message"), [
    (BROWSER, {"desktop": True}, "replay it without --desktop"),
    ({"name": "desktop", "display": ":99"}, {"url": "http://x/"}, "--url applies to browser runs"),
    ({"name": "scripted"}, {}, "'scripted' driver"),
    ({"name": "playwright"}, {}, "pass --url URL"),
])
def test_impossible_replays_are_refused_with_a_hint(driver, options, message):
    with pytest.raises(ConfigError, match=message):
        driver_for_run(record(**driver), **options)


def test_a_run_that_typed_secrets_needs_them_again(tmp_path):
    with_secrets = record(**BROWSER, secrets=["PASSWORD"])
    with pytest.raises(ConfigError, match=r"\{\{secret:PASSWORD\}\}.*--secret NAME=VALUE"):
        driver_for_run(with_secrets, secrets=Secrets({"OTHER": "x"}))
    driver = driver_for_run(with_secrets, secrets=Secrets({"PASSWORD": "hunter2"}))
    assert isinstance(driver, SecretsDriver) and isinstance(driver.driver, PlaywrightDriver)

    RunLog(tmp_path / "run", with_secrets).finish("done")
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "replay",
                           str(tmp_path / "run")], capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items()
                               if not k.startswith("GUIAGENT_SECRET_")})
    assert proc.returncode == 2
    assert "{{secret:PASSWORD}}" in proc.stderr
