"""Cost per step, end to end: tokens by kind, price, the report's chart, `guiagent runs`, eval summaries.

The stand-in model server counts usage as a server would (its own text length / 4 plus
GLM's visual tokens of every image it decoded), and in one mode also reports
``completion_tokens_details.reasoning_tokens``; the figures in the logs must match
what it reported, split by what the requests actually carried.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.replay import write_report
from guiagent.runlog import read_run
from guiagent.testing import GlmModelServer, glm_answer

pytestmark = pytest.mark.browser
GUIAGENT = str(Path(sys.executable).with_name("guiagent"))
THOUGHT = "The form is open; I should look at the fields before I act. " * 4
ANSWERS = [
    glm_answer("left_click(start_box='[500,300]', element_info='the name field')", thinking=THOUGHT,
               explanation="I click the name field."),
    glm_answer("scroll(start_box='[500,500]', direction='down', step=2)", thinking=THOUGHT * 2,
               explanation="I scroll down to see the rest."),
    glm_answer("DONE()", thinking="Done.", explanation="The form is visible."),
]
PRICE_IN, PRICE_OUT = 0.6, 2.4   # USD per million tokens


def run_cli(sandbox, server, out, *extra):
    proc = subprocess.run(
        [GUIAGENT, "run", "Look at the contact form", "--url", sandbox.url + "/contact",
         "--model-url", server.base_url, "--out", str(out), "--max-steps", "5", *extra],
        capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_cli_run_splits_tokens_prices_them_and_draws_the_chart(sandbox, shared_browser, tmp_path):
    out = tmp_path / "runs" / "priced"
    with GlmModelServer(ANSWERS, reasoning_tokens=True) as server:
        proc = run_cli(sandbox, server, out, "--price-in", str(PRICE_IN), "--price-out", str(PRICE_OUT))
    record, steps = read_run(out)
    assert record.price is not None and (record.price.input, record.price.output) == (PRICE_IN, PRICE_OUT)

    # Each step's split matches what the server received and reported.
    assert len(steps) == len(server.requests) == 3
    for step, request in zip(steps, server.requests, strict=True):
        sizes = [im.size for im in request.images]
        visual = {(1280, 720): 1196, (640, 360): 299}
        t = step.tokens
        assert t.visual == sum(visual[s] for s in sizes)
        assert t.text == len(request.text) // 4           # the server's prompt_tokens minus visual
        assert t.visual + t.text == step.usage.prompt_tokens
        assert t.thinking == step.usage.reasoning_tokens > 0 and t.estimated == []
        assert t.thinking + t.answer == step.usage.completion_tokens
        assert [a.image_sizes for a in step.attempts] == [sizes]
    assert [len(r.images) for r in server.requests] == [1, 2, 3]

    totals = record.totals.tokens
    assert totals.total == record.totals.usage.total_tokens
    expected = (totals.prompt * PRICE_IN + totals.completion * PRICE_OUT) / 1e6
    assert record.totals.cost_usd == pytest.approx(expected, abs=1e-6)
    assert f"visual {totals.visual:,}" in proc.stderr and f"${expected:.4f}" in proc.stderr
    assert "step 2 " in proc.stderr and f" {steps[1].tokens.total:,} tokens" in proc.stderr

    # The report, in Chromium: one stacked bar per step, kinds in order, numbers and cost shown.
    page = shared_browser.get().new_page()
    try:
        page.goto((out / "report.html").as_uri())
        bars = page.locator("#tokens-chart g.bar")
        assert bars.count() == 3
        kinds = bars.nth(1).locator("rect.seg").evaluate_all("els => els.map(e => e.dataset.kind)")
        assert kinds == ["visual", "text", "thinking", "answer"]
        visual_value = bars.nth(1).locator("rect.seg[data-kind=visual]").get_attribute("data-value")
        assert float(visual_value) == steps[1].tokens.visual == 1196 + 299
        heights = bars.evaluate_all("gs => gs.map(g => g.getBBox().height)")
        assert heights.index(max(heights)) == [s.tokens.total for s in steps].index(
            max(s.tokens.total for s in steps))
        assert page.locator("#time-chart g.bar").count() == 3
        assert f"${expected:.4f}" in page.locator("#run-cost").inner_text()
        row = page.locator("table.cost-steps tr[data-cost-step='2']")
        assert f"{steps[1].tokens.thinking:,}" in row.inner_text()
        # The server streamed: time to first token and tokens/s per step, as the attempts say.
        ttft, rate = steps[1].attempts[0].first_token_seconds, steps[1].attempts[0].tokens_per_second
        assert ttft is not None and rate is not None
        assert row.locator("td.ttft").inner_text() == f"{ttft:.2f} s"
        assert float(row.locator("td.tps").inner_text().replace(",", "")) == pytest.approx(rate, abs=0.06)
        kinds = page.locator("#time-chart g.bar").nth(1).locator("rect.seg").evaluate_all(
            "els => els.map(e => e.dataset.kind)")
        assert kinds == ["first token", "generation"]
    finally:
        page.close()

    # `guiagent runs` lists tokens and cost.
    listing = subprocess.run([GUIAGENT, "runs", str(out.parent)], capture_output=True, text=True,
                             timeout=60, env={**os.environ, "COLUMNS": "160"})
    assert listing.returncode == 0, listing.stderr
    header = next(line for line in listing.stdout.splitlines() if "outcome" in line)
    assert "tokens" in header and "cost" in header
    line = next(line for line in listing.stdout.splitlines() if "priced" in line)
    assert f"{totals.total:,}" in line and f"${expected:.4f}" in line


def test_without_reasoning_tokens_or_streaming_estimates_are_marked_and_speed_is_na(sandbox, shared_browser, tmp_path):
    with GlmModelServer(ANSWERS, reasoning_field=True) as server:
        driver = PlaywrightDriver(sandbox.url + "/contact", browser=shared_browser.get())
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0,
                                                             stream=False)),
                      config=AgentConfig(run_dir=tmp_path / "run", max_steps=5))
        with driver:
            result = agent.run("Look at the contact form")
    record, steps = read_run(result.run_dir)
    assert record.price is None and record.totals.cost_usd is None
    first = steps[0].tokens
    assert first.estimated == ["thinking", "answer"] and steps[0].usage.reasoning_tokens is None
    assert first.thinking + first.answer == steps[0].usage.completion_tokens
    # Divided by characters: the thought is longer than the answer here.
    assert first.thinking > first.answer > 0
    html = write_report(result.run_dir).read_text()
    assert "thinking, answer: the server did not" in html and "~" in html
    assert "no price given" in html
    assert html.count('<td class="num ttft">n/a</td>') == len(steps) and "not streamed" in html


def test_eval_summary_has_cost_per_task_and_in_total(tmp_path, sandbox):
    suite = tmp_path / "suite.yaml"
    suite.write_text("""\
- id: look
  instruction: Look at the contact form
  url: "{sandbox}/contact"
  evaluate:
    - dom: {selector: "h1", text: "Contact us"}
- id: give-up
  instruction: Order a pizza
  url: "{sandbox}/"
  evaluate:
    - infeasible: true
""")
    out = tmp_path / "out"
    answers = {"Look at": ANSWERS, "pizza": [glm_answer("FAIL()", thinking=THOUGHT)]}

    def respond(request):
        script = next(v for k, v in answers.items() if k in request.text)
        return script[min(request.step, len(script)) - 1]

    with GlmModelServer(respond) as server:
        proc = subprocess.run([GUIAGENT, "eval", str(suite), "--model-url", server.base_url,
                               "--out", str(out), "--price-in", str(PRICE_IN),
                               "--price-out", str(PRICE_OUT)],
                              capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    results = {r["task"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    costs = {}
    for task, r in results.items():
        run = json.loads((out / r["run_dir"] / "run.json").read_text())
        assert r["cost_usd"] == run["totals"]["cost_usd"] > 0
        assert r["token_split"] == {**run["totals"]["tokens"]}
        costs[task] = r["cost_usd"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["price"] == {"input": PRICE_IN, "output": PRICE_OUT, "currency": "USD"}
    assert summary["cost_usd"] == pytest.approx(sum(costs.values()), abs=1e-6)
    assert {t: f["cost_usd"] for t, f in summary["per_task"].items()} == pytest.approx(costs)
    assert summary["token_split"]["visual"] == sum(r["token_split"]["visual"] for r in results.values())
    report = (out / "report.html").read_text()
    assert f"${summary['cost_usd']:.4f}" in report and f"${costs['look']:.4f}" in report
    assert f"cost ${summary['cost_usd']:.4f}" in proc.stderr
    assert "look r1: done, 3 step(s)" in proc.stderr and f", ${costs['look']:.4f}" in proc.stderr


def test_skill_run_prices_its_model_grounding(tmp_path):
    from pages.server import PageServer

    skill = tmp_path / "open_settings.yaml"
    skill.write_text("name: open_settings\nsteps:\n  - click: {description: the round gear icon button}\n"
                     "  - wait_for: Settings opened\n")
    with PageServer() as pages:
        url = pages.url + "/icons.html"
        with PlaywrightDriver(url) as probe:
            box = probe.page.locator("#gear").bounding_box()
        x1, y1 = round(box["x"] / 1.28), round(box["y"] / 0.72)
        x2, y2 = round((box["x"] + box["width"]) / 1.28), round((box["y"] + box["height"]) / 0.72)
        answer = (f"<think>{THOUGHT}</think><answer>"
                  f"<|begin_of_box|>[[{x1},{y1},{x2},{y2}]]<|end_of_box|></answer>")
        with GlmModelServer([answer], reasoning_tokens=True) as server:
            proc = subprocess.run(
                [GUIAGENT, "skill", "run", str(skill), "--url", url, "--model-url", server.base_url,
                 "--out", str(tmp_path / "run"), "--price-in", "3", "--price-out", "15"],
                capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    record, steps = read_run(tmp_path / "run")
    assert (record.price.input, record.price.output) == (3, 15)
    grounded = steps[0].tokens   # one grounding request with the 1280x720 screenshot
    assert grounded.visual == 1196 and grounded.text == len(server.requests[0].text) // 4
    assert grounded.thinking == steps[0].usage.reasoning_tokens > 0 and grounded.estimated == []
    cost = (grounded.prompt * 3 + grounded.completion * 15) / 1e6
    assert record.totals.cost_usd == pytest.approx(cost, abs=1e-6)
    assert f"${cost:.4f}" in proc.stderr


@pytest.mark.parametrize(("protocol", "rule"), [("qwen3vl", "QWEN3_VL"), ("ui-tars", "QWEN25_VL")])
def test_other_families_count_visual_tokens_by_their_own_rule(protocol, rule, sandbox, shared_browser,
                                                              tmp_path):
    from guiagent import visual_tokens
    from guiagent.testing import plan_intentions, standin_server
    from guiagent.testing.page_plan import ClickOn, Finish, TypeText

    plan = plan_intentions(sandbox.url + "/contact",
                           [ClickOn("#full_name", "Full name"), TypeText("Ada"), Finish()])
    with standin_server(protocol, plan) as server:
        driver = PlaywrightDriver(sandbox.url + "/contact", browser=shared_browser.get())
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      protocol=protocol, config=AgentConfig(run_dir=tmp_path / "run", max_steps=5))
        with driver:
            result = agent.run("Type Ada as the full name")
    assert result.outcome == "done", result.error
    record, steps = read_run(result.run_dir)
    assert record.protocol == protocol and len(steps) == len(server.requests) == 3
    family = getattr(visual_tokens, rule)
    for step, request in zip(steps, server.requests, strict=True):
        sizes = [im.size for im in request.images]
        assert step.tokens.visual == sum(family.tokens(w, h) for w, h in sizes) > 0
        assert step.tokens.prompt == step.usage.prompt_tokens
