"""fill_web_form without ``submit`` presses the form's own submit button, whatever its label."""

import pytest
from pages.server import PageServer

from guiagent import PlaywrightDriver
from guiagent.runlog import read_run
from guiagent.skills import find_skill, run_skill

pytestmark = pytest.mark.browser

CONTACT = {"Full name": "Ada Lovelace", "Email address": "ada@example.org", "Message": "Hello",
           "I accept the terms": True}


def test_contact_form_sent_with_its_own_button(sandbox, tmp_path):
    with PlaywrightDriver(sandbox.url + "/contact") as driver:
        result = run_skill(find_skill("fill_web_form"), driver, {"record": CONTACT, "expect": "Thank you"},
                           run_dir=tmp_path / "run")
    assert result.outcome == "done", result.error
    (row,) = sandbox.submissions("contact")
    assert row["data"]["full_name"] == "Ada Lovelace" and row["data"]["terms"] is True
    _, steps = read_run(tmp_path / "run")
    last_click = [s for s in steps if s.action is not None and s.action.action == "left_click"][-1]
    assert last_click.extra["grounding"]["target"] == "button 'Send message'"


def test_signup_step_with_a_next_button(sandbox, tmp_path):
    with PlaywrightDriver(sandbox.url + "/signup") as driver:
        result = run_skill(find_skill("fill_web_form"), driver,
                           {"record": {"Name": "Ada", "Email": "ada@example.org"}},
                           run_dir=tmp_path / "run")
        assert result.outcome == "done", result.error
        assert driver.page.locator("#create-account").is_visible()  # step 2 of the sign-up


PAGE = """<!doctype html><title>Two forms</title>
<form action="{url}/submit?form=search" method="post"><label>Search <input name="q"></label>
  <button>Submit</button></form>
<form id="order" action="{url}/submit?form=order" method="post">
  <label>Your name <input name="name"></label>
  <button type="button">Submit</button>
  <button type="submit" title="next">Weiter ➜</button>
</form>
<form id="bare" method="post"><label>Nothing <input name="x"></label></form>
"""


def test_the_fields_own_form_and_its_submit_button_whatever_its_label(tmp_path):
    with PageServer() as server, PlaywrightDriver(server.url + "/feedback.html") as driver:
        driver.page.set_content(PAGE.format(url=server.url))
        result = run_skill(find_skill("fill_web_form"), driver,
                           {"record": {"Your name": "Ada"}, "expect": "Thanks"}, run_dir=tmp_path / "run")
        assert result.outcome == "done", result.error
        assert server.posts == [{"name": ["Ada"]}]
        driver.page.set_content(PAGE.format(url=server.url))
        result = run_skill(find_skill("fill_web_form"), driver, {"record": {"Nothing": "x"}},
                           run_dir=tmp_path / "run2")
        assert result.outcome == "failed"
        assert "no submit button in the form" in result.record.error.message
