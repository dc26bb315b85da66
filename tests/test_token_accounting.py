"""Visual tokens by each family's own rule, the split of a request's tokens by kind, and prices.

The worked numbers come from /work/shared facts: GLM-4.1V (28 px blocks, 2 x h x w capped
at 9,633,792), Qwen2.5-VL / UI-TARS (smart_resize, factor 28: 1920x1080 -> 1932x1092) and
Qwen3-VL (factor 32, Python's round-half-to-even).
"""

import json
from types import SimpleNamespace

import pytest
from PIL import Image

from guiagent.imaging import data_url, encode_image
from guiagent.model import ModelSettings, TokenUsage, usage_of
from guiagent.replay import render_report
from guiagent.runlog import Attempt, RunLog, RunRecord, StepRecord, read_run
from guiagent.tokens import Price, TokenSplit, data_url_size, image_sizes, speed, split_tokens
from guiagent.visual_tokens import GLM, QWEN3_VL, QWEN25_VL, rule_for, visual_tokens


@pytest.mark.parametrize(("size", "tokens"), [
    ((1280, 720), 1196), ((1920, 1080), 2691), ((2560, 1440), 4641), ((640, 360), 299),
    ((3840, 2160), 58 * 104),  # over the cap: scaled to 2912x1624, "about 6,000"
])
def test_glm_rule(size, tokens):
    assert GLM.tokens(*size) == tokens


@pytest.mark.parametrize(("size", "resized"), [
    ((1920, 1080), (1932, 1092)), ((1280, 720), (1288, 728)), ((2560, 1440), (2548, 1428)),
    ((1080, 2400), (1092, 2408)),  # the Qwen2.5-VL mobile cookbook's phone screenshot
])
def test_qwen25_smart_resize_matches_the_worked_examples(size, resized):
    assert QWEN25_VL.resized(*size) == resized
    assert QWEN25_VL.tokens(*size) == (resized[0] // 28) * (resized[1] // 28)


def test_qwen25_has_a_higher_cap_than_glm():
    # 4K stays unscaled for Qwen2.5-VL (8.3 Mpx < 12.8 Mpx) but not for GLM.
    assert QWEN25_VL.resized(3840, 2160) == (3836, 2156)
    assert QWEN25_VL.tokens(3840, 2160) == 137 * 77 > GLM.tokens(3840, 2160)


def test_qwen3_uses_32_px_blocks_and_rounds_halves_to_even():
    assert QWEN3_VL.resized(1280, 720) == (1280, 704)   # 720 / 32 = 22.5 rounds to 22
    assert QWEN3_VL.tokens(1280, 720) == 40 * 22
    assert QWEN3_VL.tokens(1920, 1080) == 60 * 34


@pytest.mark.parametrize(("protocol", "rule"), [
    ("glm41v-pc", GLM), ("glm41v-web", GLM), ("glm45v", GLM), ("", GLM), ("json", GLM),
    ("qwen25vl", QWEN25_VL), ("qwen3vl", QWEN3_VL),  # the registry's names
    ("ui-tars", QWEN25_VL), ("uitars15", QWEN25_VL), ("qwen2.5-vl", QWEN25_VL),
    ("qwen25vl", QWEN25_VL), ("qwen3-vl", QWEN3_VL), ("Qwen3VL-relative", QWEN3_VL),
])
def test_rule_by_protocol_name(protocol, rule):
    assert rule_for(protocol) is rule


def test_visual_tokens_of_a_request_sum_its_images():
    assert visual_tokens("glm41v-pc", [(1280, 720), (640, 360), (640, 360)]) == 1196 + 2 * 299


def test_image_sizes_read_from_data_urls_of_a_request():
    png = data_url(encode_image(Image.new("RGB", (1280, 720), "white"), "png"), "image/png")
    jpeg = data_url(encode_image(Image.new("RGB", (640, 360), "gray"), "jpeg"), "image/jpeg")
    messages = [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": png}},
        {"type": "image_url", "image_url": {"url": jpeg}},
        {"type": "image_url", "image_url": {"url": "https://example.org/a.png"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,bm90IGFuIGltYWdl"}},
        {"type": "text", "text": "hi"}]}, {"role": "assistant", "content": "<think>"}]
    assert image_sizes(messages) == [(1280, 720), (640, 360)]
    assert data_url_size("data:text/plain,hello") is None


def test_split_with_the_servers_reasoning_tokens_is_exact():
    usage = TokenUsage(prompt_tokens=1500, completion_tokens=300, total_tokens=1800,
                       reasoning_tokens=250)
    split = split_tokens("glm41v-pc", usage, "<answer>x</answer>", "thinking...", [(1280, 720)])
    assert split == TokenSplit(visual=1196, text=304, thinking=250, answer=50)
    assert (split.prompt, split.completion, split.total) == (1500, 300, 1800)


def test_split_by_characters_is_marked_estimated():
    usage = TokenUsage(prompt_tokens=1300, completion_tokens=100, total_tokens=1400)
    content = "<think>" + "t" * 300 + "</think><answer>" + "a" * 83 + "</answer>"  # 100 with tags
    split = split_tokens("glm41v-pc", usage, content, None, [(1280, 720)])
    assert (split.thinking, split.answer) == (75, 25) and split.estimated == ["thinking", "answer"]
    # A reply with no thought at all is all answer, and that is not a guess.
    plain = split_tokens("glm41v-pc", usage, "<answer>DONE()</answer>", None, [(1280, 720)])
    assert (plain.thinking, plain.answer, plain.estimated) == (0, 100, [])
    # A reply cut off while thinking is all thought.
    cut = split_tokens("glm41v-pc", usage, "<think>still going", None, [(1280, 720)])
    assert (cut.thinking, cut.answer) == (100, 0)


def test_a_server_without_usage_gets_estimates_marked_as_such():
    split = split_tokens("glm41v-pc", TokenUsage(), "<think>" + "t" * 40 + "</think>" + "a" * 40,
                         None, [(1280, 720)], prompt_chars=4000)
    assert (split.visual, split.text) == (1196, 1000)
    assert (split.thinking, split.answer) == (10, 10)
    assert split.estimated == ["text", "thinking", "answer"]


def test_a_failed_request_costs_nothing_and_visual_never_exceeds_the_prompt():
    assert split_tokens("glm41v-pc", TokenUsage(), "", None, [(1280, 720)]) == TokenSplit()
    small = split_tokens("glm41v-pc", TokenUsage(prompt_tokens=900, completion_tokens=5,
                                                 total_tokens=905), "DONE()", None, [(1280, 720)])
    assert (small.visual, small.text) == (900, 0)


def test_usage_of_reads_reasoning_tokens_and_tolerates_missing_fields():
    raw = SimpleNamespace(prompt_tokens=10, completion_tokens=7, total_tokens=17,
                          completion_tokens_details=SimpleNamespace(reasoning_tokens=5))
    assert usage_of(raw) == TokenUsage(prompt_tokens=10, completion_tokens=7, total_tokens=17,
                                       reasoning_tokens=5)
    bare = usage_of(SimpleNamespace(prompt_tokens=None, completion_tokens=3, total_tokens=3,
                                    completion_tokens_details=None))
    assert bare == TokenUsage(completion_tokens=3, total_tokens=3)
    assert usage_of(None) == TokenUsage()


def test_price_and_speed():
    split = TokenSplit(visual=1_000_000, text=1_000_000, thinking=500_000, answer=500_000)
    assert Price(input=0.5, output=2.0).cost(split) == pytest.approx(1.0 + 2.0)
    streamed = [Attempt(seconds=2.0, first_token_seconds=0.5,
                        usage=TokenUsage(completion_tokens=300)),
                Attempt(seconds=1.0, first_token_seconds=0.2, usage=TokenUsage(completion_tokens=100))]
    ttft, rate = speed(streamed)
    assert ttft == 0.5 and rate == pytest.approx((299 + 99) / 2.3)
    assert speed([Attempt(seconds=2.0, usage=TokenUsage(completion_tokens=300))]) == (None, None)


def test_run_log_accounts_steps_and_totals_and_old_logs_still_load(tmp_path):
    log = RunLog(tmp_path / "run", RunRecord(task="t", protocol="qwen3-vl",
                                             price=Price(input=1.0, output=4.0)))
    usage = TokenUsage(prompt_tokens=1000, completion_tokens=60, total_tokens=1060, reasoning_tokens=40)
    step = StepRecord(index=1, started_at=0.0, usage=usage,
                      attempts=[Attempt(content="<answer>DONE()</answer>", usage=usage,
                                        image_sizes=[(1280, 720)])])
    log.append_step(step)
    log.finish("done")
    record, steps = read_run(tmp_path / "run")
    assert steps[0].tokens == TokenSplit(visual=880, text=120, thinking=40, answer=20)
    assert steps[0].attempts[0].tokens == steps[0].tokens
    assert record.totals.tokens == steps[0].tokens
    assert record.totals.cost_usd == pytest.approx((1000 * 1.0 + 60 * 4.0) / 1e6)

    # A log written before token splits existed: no tokens, price or cost fields at all.
    old = tmp_path / "old"
    (old / "screenshots").mkdir(parents=True)
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    for key in ("price",):
        run.pop(key)
    for key in ("tokens", "cost_usd"):
        run["totals"].pop(key)
    (old / "run.json").write_text(json.dumps(run))
    line = json.loads((tmp_path / "run" / "steps.jsonl").read_text())
    line.pop("tokens")
    for attempt in line["attempts"]:
        for key in ("tokens", "image_sizes", "first_token_seconds"):
            attempt.pop(key)
    attempt["usage"].pop("reasoning_tokens")
    (old / "steps.jsonl").write_text(json.dumps(line) + "\n")
    record, steps = read_run(old)
    assert steps[0].tokens is None and record.price is None and record.totals.cost_usd is None
    html = render_report(old)
    assert "not recorded" in html and "no price given" in html


def test_runs_shows_tokens_and_cost_and_still_fits_80_columns(tmp_path):
    import os
    import subprocess
    import sys

    usage = TokenUsage(prompt_tokens=1500, completion_tokens=500, total_tokens=2000, reasoning_tokens=400)
    for name, price in (("20260101-120000-abcdef", Price(input=3, output=15)),
                        ("20260101-130000-123456", None)):
        log = RunLog(tmp_path / name, RunRecord(task="Water the plants, " * 6, price=price))
        log.append_step(StepRecord(index=1, started_at=0.0, usage=usage, attempts=[
            Attempt(content="<answer>DONE()</answer>", usage=usage, image_sizes=[(1280, 720)])]))
        log.finish("done")
    for columns in (80, 200):
        proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "runs", str(tmp_path)],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "COLUMNS": str(columns)})
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert max(map(len, lines)) <= columns
        header = next(line for line in lines if "outcome" in line).split()
        assert header[-3:] == ["tokens", "cost", "task"]
        assert ("started" in header) == (columns == 200)  # the run names already hold the time
        priced = next(line for line in lines if "abcdef" in line)
        assert "2,000" in priced and f"${(1500 * 3 + 500 * 15) / 1e6:.4f}" in priced
        assert "Water the" in priced
        unpriced = next(line for line in lines if "123456" in line)
        assert "—" in unpriced and "Water the" in unpriced


def test_report_of_a_hostile_log_with_impossible_numbers_still_renders(tmp_path):
    log = RunLog(tmp_path / "run", RunRecord(task="t <b>x</b>", protocol="<script>p</script>",
                                             price=Price(input=1.0, output=1.0)))
    usage = TokenUsage(prompt_tokens=1300, completion_tokens=10, total_tokens=1310)
    log.append_step(StepRecord(index=1, started_at=0.0, usage=usage, attempts=[
        Attempt(content="<answer>DONE()</answer>", usage=usage, seconds=1.5, image_sizes=[(1280, 720)])]))
    log.finish("done")
    # Someone else's run folder: seconds no run can take (JSON's Infinity and NaN parse as floats).
    line = (tmp_path / "run" / "steps.jsonl").read_text().strip()
    lines = [line.replace('"seconds":1.5', f'"seconds":{bad}').replace('"first_token_seconds":null',
                                                                     f'"first_token_seconds":{bad}')
             .replace('"index":1', f'"index":{n}') for n, bad in enumerate(("Infinity", "NaN", "-5"), 2)]
    (tmp_path / "run" / "steps.jsonl").write_text("\n".join([line, *lines]) + "\n")
    html = render_report(tmp_path / "run")
    assert html.count('class="bar" data-bar-step=') == 8   # both charts, every step
    assert "<script>p</script>" not in html and "&lt;script&gt;p&lt;/script&gt;" in html


def test_an_impossible_price_is_refused():
    with pytest.raises(ValueError):
        Price(input=float("inf"))
    with pytest.raises(ValueError):
        ModelSettings(price_out=float("nan"))


@pytest.mark.parametrize("command", [["run", "x", "--url", "http://127.0.0.1:9/"],
                                     ["skill", "run", "login"], ["eval", "web"]])
def test_cli_refuses_a_price_that_is_not_a_number_of_dollars(command, tmp_path):
    from typer.testing import CliRunner

    from guiagent.cli.main import app

    for option, value in (("--price-in", "inf"), ("--price-out", "nan"), ("--price-in", "-1")):
        result = CliRunner().invoke(app, [*command, option, value, "--out", str(tmp_path / "x")])
        assert result.exit_code == 2, result.output
        assert option in result.output
    assert not (tmp_path / "x").exists()
