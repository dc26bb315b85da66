"""Reading run logs back: clear errors for broken logs, the GIF, escaping, the run list.

These runs are written with the real RunLog from synthetic steps (no browser needed);
the screenshot is smaller than the surface, as when the agent shrinks screenshots, so
marks must use screenshot pixels, not surface points.
"""

import json
import os
import subprocess
import sys

import pytest
from PIL import Image, ImageDraw

from guiagent.actions import Key, LeftClick, LeftDrag, Point, Scroll
from guiagent.errors import LogFormatError
from guiagent.geometry import ScreenFrame, Size
from guiagent.imaging import encode_image
from guiagent.replay import list_runs, render_report, write_gif
from guiagent.runlog import RunLog, RunRecord, StepRecord, read_run

FRAME = ScreenFrame(screenshot=Size(width=960, height=540), surface=Size(width=1280, height=720))


def synthetic_run(run_dir, task="Tidy the desk", thinking="I look at the screen."):
    """Four steps: click, drag, scroll, key; each with its own screenshot."""
    log = RunLog(run_dir, RunRecord(task=task, protocol="glm41v-pc",
                                    driver={"name": "playwright", "url": "http://127.0.0.1:9/",
                                            "viewport": "1280x720"},
                                    model={"name": "test-model", "base_url": "http://x/v1"}))
    actions = [LeftClick(start_box=Point(x=250, y=400), element_info="the lamp"),
               LeftDrag(start_box=Point(x=100, y=100), end_box=Point(x=700, y=600)),
               Scroll(start_box=Point(x=500, y=500), direction="down", step=3),
               Key(keys="ctrl+s")]
    for index, action in enumerate(actions, start=1):
        image = Image.new("RGB", (960, 540), (235, 235, 240))
        ImageDraw.Draw(image).rectangle([40 * index, 40, 40 * index + 200, 240], fill=(30, 90, 200))
        points = [FRAME.resolve(p.x, p.y) for p in ([action.start_box, action.end_box]
                                                    if isinstance(action, LeftDrag) else
                                                    [getattr(action, "start_box", None)])
                  if p is not None]
        step = StepRecord(index=index, started_at=1.0, frame=FRAME, action=action,
                          call=action.to_call(), executed=points, result="ok",
                          thinking=thinking, answer_text=action.to_call(),
                          timings={"capture": 0.01, "model": 1.5, "execute": 0.1})
        step.screenshot = log.save_screenshot(index, encode_image(image, "png"), "png")
        log.append_step(step)
    log.finish("done")
    return run_dir


def cli(*args, columns=200):
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "guiagent.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=120, env=env)


def test_corrupted_line_is_named_by_file_and_line(tmp_path):
    run = synthetic_run(tmp_path / "run")
    path = run / "steps.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = '{"index": 2, "started_at": "not a time"}\n'
    path.write_text("".join(lines))
    with pytest.raises(LogFormatError, match=rf"{path}:2: corrupted step record"):
        read_run(run)
    for command in ("view", "replay"):
        proc = cli(command, run)
        assert proc.returncode == 2, proc.stderr
        assert f"{path}:2" in proc.stderr.replace("\n", "")


def test_unknown_version_is_refused_with_the_file_named(tmp_path):
    run = synthetic_run(tmp_path / "run")
    data = json.loads((run / "run.json").read_text())
    data["format_version"] = 99
    (run / "run.json").write_text(json.dumps(data))
    with pytest.raises(LogFormatError, match="version 99 is not supported") as info:
        read_run(run)
    assert str(run / "run.json") in str(info.value)
    proc = cli("view", run)
    assert proc.returncode == 2
    assert "version 99" in proc.stderr and not (run / "report.html").exists()


def test_truncated_last_line_of_a_killed_run_is_tolerated(tmp_path):
    run = synthetic_run(tmp_path / "run")
    path = run / "steps.jsonl"
    text = path.read_text()
    path.write_text(text[:len(text) - 40])  # killed while writing step 4
    _record, steps = read_run(run)
    assert [s.index for s in steps] == [1, 2, 3]
    proc = cli("view", run)
    assert proc.returncode == 0, proc.stderr
    html = (run / "report.html").read_text()
    assert html.count('<section class="step') == 3


def test_gif_has_one_frame_per_step_with_the_click_drawn(tmp_path):
    run = synthetic_run(tmp_path / "run")
    gif = write_gif(run, width=960)
    _record, steps = read_run(run)
    with Image.open(gif) as image:
        assert image.n_frames == len(steps) == 4
        image.seek(0)
        frame = image.convert("RGB")
    caption = frame.height - 540
    x, y = steps[0].executed[0].screenshot.rounded()
    red, green, blue = frame.getpixel((x, y + caption))
    assert red > 150 and green < 90 and blue < 120  # the click's dot, not the gray page


def test_report_escapes_what_the_model_wrote(tmp_path):
    run = synthetic_run(tmp_path / "run", task="Open <b>bold</b> things",
                       thinking="<script>window.pwned = 1</script> & more")
    html = render_report(run)
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt; &amp; more" in html
    assert "<script>window.pwned" not in html
    assert "Open &lt;b&gt;bold&lt;/b&gt; things" in html


def test_runs_lists_runs_and_skips_other_directories(tmp_path):
    synthetic_run(tmp_path / "20260101-a", task="Tidy the desk")
    synthetic_run(tmp_path / "20260102-b", task="Water the plants")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("not a run")
    broken = synthetic_run(tmp_path / "20260103-c", task="Broken one")
    (broken / "run.json").write_text("{not json")
    listing = list_runs(tmp_path)
    assert [r.task for r in listing.runs] == ["Tidy the desk", "Water the plants"]
    assert [r.steps for r in listing.runs] == [4, 4]
    proc = cli("runs", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Tidy the desk" in proc.stdout and "Water the plants" in proc.stdout
    assert proc.stdout.count("done") == 2 and "notes" not in proc.stdout
    assert "20260103-c" in proc.stderr.replace("\n", "") and "not valid JSON" in proc.stderr


def test_runs_fit_an_80_column_terminal(tmp_path):
    synthetic_run(tmp_path / "20260101-a", task="Tidy the desk, then " + "water the plants, " * 8)
    proc = cli("runs", tmp_path, columns=80)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if "outcome" in line)
    assert all(h in header for h in ("run", "started", "kind", "outcome", "steps", "seconds", "task"))
    (row,) = [line for line in lines if "20260101-a" in line]
    assert "done" in row and "Tidy the" in row and row.rstrip().endswith("…")
    assert max(len(line) for line in lines) <= 80


def test_view_of_a_missing_directory_is_a_usage_error(tmp_path):
    proc = cli("view", tmp_path / "nope")
    assert proc.returncode == 2
    assert "no run.json" in proc.stderr


def test_open_hands_the_report_to_the_web_browser(tmp_path):
    run = synthetic_run(tmp_path / "run")
    opened = tmp_path / "opened.txt"
    browser = f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w').write(sys.argv[2])\" {opened} %s"
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "view", str(run), "--open"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "BROWSER": browser})
    assert proc.returncode == 0, proc.stderr
    assert opened.read_text() == (run / "report.html").resolve().as_uri()


def test_report_embeds_only_files_of_the_run(tmp_path):
    (tmp_path / "private.txt").write_text("do not embed me")
    run = synthetic_run(tmp_path / "run")
    path = run / "steps.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    step = json.loads(lines[0])
    step["screenshot"] = "../private.txt"
    lines[0] = json.dumps(step) + "\n"
    path.write_text("".join(lines))
    html = render_report(run)
    assert "screenshot missing: ../private.txt" in html
    assert "ZG8gbm90IGVtYmVkIG1l" not in html  # base64 of the private file
    with Image.open(write_gif(run)) as gif:
        assert gif.n_frames == 3
