"""End to end: dialogs, uploads, downloads, HTTP auth and new tabs, in the real browser,
driven by the GLM-format model server with answers measured on the real pages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from page_events_site import REPORT_CSV, EventsSite

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.errors import ActionRefusedError
from guiagent.guard import ActionGuard
from guiagent.replay import write_report
from guiagent.runlog import read_run
from guiagent.testing import GlmModelServer, plan_answers
from guiagent.testing.page_plan import ClickOn, Finish, PressKeys, TypeText

pytestmark = pytest.mark.browser
OK, CANCEL = "[data-guiagent-button=accept]", "[data-guiagent-button=dismiss]"


@pytest.fixture(scope="module")
def site():
    with EventsSite() as s:
        yield s


def run_agent(site, path, plan, tmp_path, *, hooks=None, **driver_options):
    answers = plan_answers(site.url + path, plan, **driver_options)
    site.reset()  # planning clicked through the same site
    with GlmModelServer(answers) as server:
        driver = PlaywrightDriver(site.url + path, **driver_options)
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run", max_steps=len(answers) + 1),
                      hooks=hooks)
        with driver:
            result = agent.run("Work with the page")
    record, steps = read_run(result.run_dir)
    return result, steps, server


def dialogs_of(steps):
    return [d for s in steps if s.page_events for d in s.page_events.dialogs]


def test_confirm_accepted_by_a_click_on_ok(site, tmp_path):
    result, steps, server = run_agent(site, "/dialogs", [
        ClickOn("#remove", "Remove record 7"), ClickOn(OK, "OK"), Finish()], tmp_path)
    assert result.outcome == "done", result.error
    assert site.seen == ["confirm:true"]
    [dialog] = dialogs_of(steps)
    assert (dialog.kind, dialog.message, dialog.answer) == ("confirm", "Remove record 7?", "accepted")
    # the model was told about the dialog before it answered, and saw it drawn
    assert "Remove record 7?" in server.requests[1].text
    assert "dialog" in steps[0].result
    report = write_report(result.run_dir).read_text()
    assert 'class="dialog" data-kind="confirm"' in report and "Remove record 7?" in report


def test_confirm_dismissed_by_a_click_on_cancel(site, tmp_path):
    result, steps, _ = run_agent(site, "/dialogs", [
        ClickOn("#remove"), ClickOn(CANCEL, "Cancel"), Finish()], tmp_path)
    assert result.outcome == "done", result.error
    assert site.seen == ["confirm:false"]
    assert dialogs_of(steps)[0].answer == "dismissed"


def test_prompt_answered_with_typed_text_and_enter(site, tmp_path):
    result, steps, _ = run_agent(site, "/dialogs", [
        ClickOn("#ask"), TypeText("Ada Lovelace"), PressKeys("enter"), Finish()], tmp_path)
    assert result.outcome == "done", result.error
    assert site.seen == ["prompt:Ada Lovelace"]
    [dialog] = dialogs_of(steps)
    assert (dialog.kind, dialog.default_value, dialog.text) == ("prompt", "nobody", "Ada Lovelace")


def test_alert_acknowledged(site, tmp_path):
    result, steps, _ = run_agent(site, "/dialogs", [ClickOn("#hello"), ClickOn(OK), Finish()],
                                 tmp_path)
    assert result.outcome == "done", result.error
    assert site.seen == ["alert:undefined"]  # the page went on after alert() returned
    assert dialogs_of(steps)[0].kind == "alert"


def test_beforeunload_leave_clicked(site, tmp_path):
    result, steps, _ = run_agent(site, "/leave", [
        ClickOn("#draft"), TypeText("unsaved"), ClickOn("#away", "Away"), ClickOn(OK, "Leave"),
        Finish()], tmp_path)
    assert result.outcome == "done", result.error
    [dialog] = dialogs_of(steps)
    assert (dialog.kind, dialog.answer) == ("beforeunload", "accepted")
    assert steps[-1].url.endswith("/child")


def test_logs_without_page_events_stay_readable(tmp_path):
    from guiagent.runlog import StepRecord

    old = StepRecord.model_validate_json('{"index": 1, "started_at": 1.0, "extra": {}}')
    assert old.page_events is None
    new = StepRecord.model_validate_json(
        '{"index": 2, "started_at": 2.0, "page_events": {"dialogs": [{"kind": "confirm", '
        '"message": "Sure?", "answer": "accepted", "future_field": 1}]}}')
    assert new.page_events.dialogs[0].message == "Sure?"


def test_guard_refuses_accepting_a_matching_confirm_unattended(site, tmp_path):
    measured = plan_answers(site.url + "/dialogs", [ClickOn("#delete"), ClickOn(OK)])
    cancel = plan_answers(site.url + "/dialogs", [ClickOn("#delete"), ClickOn(CANCEL), Finish()])
    site.reset()
    answers = [measured[0], measured[1], cancel[1], cancel[2]]
    with GlmModelServer(answers) as server:
        driver = PlaywrightDriver(site.url + "/dialogs")
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run"), hooks=[ActionGuard()])
        with driver:
            result = agent.run("Erase record 8")
    _, steps = read_run(result.run_dir)
    assert result.outcome == "done", result.error
    assert steps[1].result == "refused" and "Delete record 8?" in steps[1].extra["guard"]["target"]
    assert site.seen == ["confirm:false"]  # the page never saw a yes
    assert "refused" in server.requests[2].text


def test_file_uploaded_from_the_declared_list(site, tmp_path):
    doc = tmp_path / "cv.pdf"
    doc.write_bytes(b"%PDF-1.4 not really\x00\xff")
    result, steps, _ = run_agent(site, "/upload", [
        ClickOn("#file"), ClickOn("[data-guiagent-file='0']", "cv.pdf"), ClickOn("#send"),
        Finish()], tmp_path, upload_files=[doc])
    assert result.outcome == "done", result.error
    assert site.uploads == [("cv.pdf", doc.read_bytes())]
    [upload] = [u for s in steps if s.page_events for u in s.page_events.uploads]
    assert (upload.name, upload.size, upload.type) == ("cv.pdf", doc.stat().st_size, "application/pdf")
    assert "uploaded" in write_report(result.run_dir).read_text()


def test_nothing_outside_the_list_can_be_chosen(site, tmp_path):
    doc = tmp_path / "cv.pdf"
    doc.write_bytes(b"mine")
    # The model types a path into the picker and presses Enter: nothing is chosen.
    result, steps, _ = run_agent(site, "/upload", [
        ClickOn("#file"), TypeText("/etc/passwd"), PressKeys("enter"), PressKeys("escape"),
        ClickOn("#send"), Finish()], tmp_path, upload_files=[doc])
    assert result.outcome == "done", result.error
    assert site.upload_posts == 1 and site.uploads == []  # the form was sent, with no file
    assert any("no file was chosen" in n for s in steps for n in s.extra.get("notes", []))
    # A skill (or code) naming an undeclared file is refused.
    with PlaywrightDriver(site.url + "/upload", upload_files=[doc]) as driver:
        with pytest.raises(ActionRefusedError, match="not one of the files"):
            driver.choose_upload("/etc/passwd")


def test_download_saved_into_the_run_and_announced(site, tmp_path):
    result, steps, server = run_agent(site, "/download", [ClickOn("#dl"), Finish()], tmp_path)
    assert result.outcome == "done", result.error
    [saved] = (result.run_dir / "downloads").iterdir()  # the page's ../../ led nowhere
    assert saved.read_bytes() == REPORT_CSV and saved.name.endswith("records export.csv")
    [download] = steps[0].page_events.downloads
    assert (download.path, download.size, download.type) == (
        f"downloads/{saved.name}", len(REPORT_CSV), "text/csv")
    assert saved.name in server.requests[1].text  # told to the model
    report = write_report(result.run_dir).read_text()
    assert 'href="downloads/' in report and "records%20export.csv" in report


def test_target_blank_link_followed_and_alt_left_goes_back(site, tmp_path):
    result, steps, server = run_agent(site, "/tabs", [
        ClickOn("#open", "Open help"), ClickOn("#child", "Help button"), PressKeys("alt+left"),
        ClickOn("#after", "Home button"), Finish()], tmp_path)
    assert result.outcome == "done", result.error
    assert site.seen == ["child", "home"]
    assert steps[0].error is None
    assert [t.url.rsplit("/", 1)[-1] for t in steps[0].page_events.tabs] == ["tabs", "child"]
    assert steps[1].url.endswith("/child") and steps[3].url.endswith("/tabs")
    assert "new tab" in server.requests[1].text


def test_http_basic_auth_from_secrets_never_logged(site, tmp_path):
    out = tmp_path / "auth-run"
    answers = plan_answers(site.url + "/private/page", [Finish()], http_credentials={
        "username": site.user, "password": site.password})
    site.reset()
    env_secret = {"GUIAGENT_SECRET_SITE_PASS": site.password}
    with GlmModelServer(answers) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "run", "Open the page",
             "--url", site.url + "/private/page", "--model-url", server.base_url,
             "--secret", f"SITE_USER={site.user}", "--http-auth", "SITE_USER:SITE_PASS",
             "--out", str(out), "--unattended"],
            capture_output=True, text=True, timeout=240, env={**_env(), **env_secret})
    assert proc.returncode == 0, proc.stderr
    assert site.seen == ["auth:ok"]
    assert json.loads((out / "run.json").read_text())["driver"]["http_auth"] == site.url
    for path in out.rglob("*"):
        if path.is_file():
            assert site.password.encode() not in path.read_bytes(), path
    assert site.password not in server.requests[0].text


UPLOAD_SKILL = """
name: send_cv
parameters:
  file: {type: string}
steps:
  - upload: {field: {label: Your CV}, file: "{{ file }}"}
  - click: Send
  - wait_for: {text: Received}
"""


def test_skill_upload_step_sends_a_declared_file_and_refuses_others(site, tmp_path):
    from guiagent.skills import parse_skill, run_skill

    doc = tmp_path / "cv.pdf"
    doc.write_bytes(b"skill bytes")
    skill = parse_skill(UPLOAD_SKILL)
    site.reset()
    with PlaywrightDriver(site.url + "/upload", upload_files=[doc]) as driver:
        result = run_skill(skill, driver, {"file": "cv.pdf"}, run_dir=tmp_path / "ok")
    assert result.outcome == "done", result.error
    assert site.uploads == [("cv.pdf", b"skill bytes")]
    assert [u.name for s in result.steps if s.page_events for u in s.page_events.uploads] == ["cv.pdf"]
    site.reset()
    with PlaywrightDriver(site.url + "/upload", upload_files=[doc]) as driver:
        result = run_skill(skill, driver, {"file": "/etc/passwd"}, run_dir=tmp_path / "refused")
    assert result.outcome != "done"
    assert "not one of the files" in str(result.error)
    assert site.uploads == []


def _env():
    import os

    return dict(os.environ)


class _FakeDownload:
    suggested_filename = "../../.bashrc"
    url = "http://127.0.0.1/x"

    def failure(self):
        return None

    def save_as(self, path):
        from pathlib import Path

        Path(path).write_bytes(b"new")


def test_downloads_never_overwrite_or_follow_links(tmp_path):
    from guiagent.drivers.page_files import safe_name, save_download

    assert safe_name("../../.bashrc") == "bashrc" and safe_name("a\\b/c.txt") == "c.txt"
    folder = tmp_path / "downloads"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep")
    (folder / "bashrc").symlink_to(victim)
    record = save_download(_FakeDownload(), tmp_path)
    assert victim.read_bytes() == b"keep"
    assert record.path == "downloads/bashrc (2)" and (folder / "bashrc (2)").read_bytes() == b"new"
    assert sorted(p.name for p in folder.iterdir()) == ["bashrc", "bashrc (2)"]


def test_secret_typed_into_a_prompt_is_redacted_in_the_record(tmp_path):
    from guiagent.drivers.page_records import DialogRecord, PageEvents
    from guiagent.secrets import Secrets, SecretsDriver

    class Browser:
        name = "fake"

        def collect_page_events(self, run_dir):
            return PageEvents(dialogs=[DialogRecord(kind="prompt", message="PIN?",
                                                    answer="accepted", text="4711-xyz")])

    wrapped = SecretsDriver(Browser(), Secrets({"PIN": "4711-xyz"}))
    events = wrapped.collect_page_events(tmp_path)
    assert events.dialogs[0].text == "{{secret:PIN}}"
