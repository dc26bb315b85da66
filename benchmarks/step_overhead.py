"""Per-step overhead of guiagent's browser loop, the model's own time excluded.

Measures, at 1280x720 on the web sandbox's contact page, the median time of
each phase of a step -- capture, encode, request build, parse, execute --
for guiagent's path and for a naive baseline measured in the same run:

* guiagent: JPEG straight from the browser, sent as captured; the half-size
  history images encoded once, when their step ended, and reused.
* baseline: a full-size PNG capture, decoded, and every image of the request
  (current + 4 previous, all full size) re-encoded as PNG on every call.

Side by side (``--side-by-side``): whole 10-step episodes on the same page with the
same instant fake model through guiagent, a bare Playwright loop and, with
``--browser-use-python PATH``, browser-use; see ``step_side_by_side.py`` and
benchmarks/README.md (how to make the browser-use venv).

Usage: python benchmarks/step_overhead.py [--iterations N]
       python benchmarks/step_overhead.py --side-by-side [--episodes 3]
              [--viewports 1280x720,1920x1080] [--browser-use-python /work/bu-venv/bin/python]
              [--contenders guiagent,bare-jpeg] [--json FILE]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import statistics
import time
from pathlib import Path

from PIL import Image

from guiagent.actions import Hover, Point
from guiagent.drivers.playwright import PlaywrightDriver
from guiagent.imaging import data_url, encode_image, half_size
from guiagent.protocols.base import HistoryEntry, StepInput
from guiagent.protocols.glm41v_pc import Glm41vPcProtocol
from guiagent.sandboxes.web import WebSandbox
from guiagent.testing import glm_answer

TASK = "Fill the contact form and send it."
ANSWER = glm_answer("left_click(start_box='[500,300]', element_info='Full name field')",
                    thinking="The name field is empty, so I start there.", memory=["name"])


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def ours(driver, protocol, history, n):
    phases = {k: [] for k in ("capture", "encode", "request_build", "parse", "execute")}
    payload = 0
    for i in range(n):
        obs, t = timed(driver.observe)
        phases["capture"].append(t)
        url, t = timed(lambda obs=obs: data_url(*obs.encoded("jpeg")))
        phases["encode"].append(t)
        req, t = timed(lambda url=url, obs=obs: protocol.build_request(
            StepInput(TASK, url, obs.frame.screenshot, history, ["name"])))
        phases["request_build"].append(t)
        payload = sum(len(p["image_url"]["url"]) for p in req.messages[0]["content"]
                      if p["type"] == "image_url")
        _, t = timed(lambda: protocol.parse(ANSWER))
        phases["parse"].append(t)
        _, t = timed(lambda i=i, obs=obs: driver.act(Hover(start_box=Point(x=10 + i, y=10)),
                                                     obs.frame))
        phases["execute"].append(t)
    return phases, payload


def baseline(driver, protocol, previous_full, n):
    phases = {k: [] for k in ("capture", "encode", "request_build", "parse", "execute")}
    page = driver.page
    payload = 0
    first_frame = driver.observe().frame
    for i in range(n):
        image, t = timed(lambda: Image.open(io.BytesIO(page.screenshot(type="png"))).convert("RGB"))
        phases["capture"].append(t)

        def encode_all(image=image):
            return [base64.b64encode(encode_image(im, "png")).decode()
                    for im in [image, *previous_full]]
        encoded, t = timed(encode_all)
        phases["encode"].append(t)
        urls = ["data:image/png;base64," + e for e in encoded]
        history = [HistoryEntry(answer_text=ANSWER, thumbnail_url=u) for u in urls[1:]]
        req, t = timed(lambda urls=urls, history=history: protocol.build_request(
            StepInput(TASK, urls[0], first_frame.screenshot, history, ["name"])))
        phases["request_build"].append(t)
        payload = sum(len(u) for u in urls)
        _, t = timed(lambda: protocol.parse(ANSWER))
        phases["parse"].append(t)
        _, t = timed(lambda i=i: driver.act(Hover(start_box=Point(x=10 + i, y=10)),
                                            first_frame))
        phases["execute"].append(t)
    return phases, payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--side-by-side", action="store_true",
                        help="whole episodes through guiagent, a bare loop and browser-use")
    parser.add_argument("--episodes", type=int, default=3, help="per contender and viewport")
    parser.add_argument("--viewports", default="1280x720,1920x1080")
    parser.add_argument("--browser-use-python", default=None,
                        help="python of a venv with browser-use installed")
    parser.add_argument("--json", default=None, help="also write the gaps (seconds) here")
    parser.add_argument("--contenders", default="",
                        help="comma-separated subset of guiagent,bare-jpeg,bare-png,browser-use")
    args = parser.parse_args()
    if args.side_by_side:
        from step_side_by_side import print_table, side_by_side

        results = side_by_side(args.viewports.split(","), args.episodes, args.browser_use_python,
                               [c for c in args.contenders.split(",") if c])
        print_table(results, "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), args.episodes)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        return
    protocol = Glm41vPcProtocol()
    with WebSandbox() as sandbox, PlaywrightDriver(sandbox.url + "/contact") as driver:
        first = driver.observe()
        thumb = data_url(encode_image(half_size(first.pil()), "jpeg"), "image/jpeg")
        history = [HistoryEntry(answer_text=ANSWER, thumbnail_url=thumb) for _ in range(4)]
        previous_full = [first.pil().convert("RGB")] * 4
        ours(driver, protocol, history, 3)  # warm up both paths
        baseline(driver, protocol, previous_full, 3)
        mine, my_bytes = ours(driver, protocol, history, args.iterations)
        base, base_bytes = baseline(driver, protocol, previous_full, args.iterations)
    print(f"step overhead at 1280x720, median of {args.iterations} steps (model time excluded)")
    print(f"{'phase':<15}{'guiagent ms':>13}{'baseline ms':>13}{'speed-up':>10}")
    tot_m = tot_b = 0.0
    for phase in mine:
        m, b = statistics.median(mine[phase]) * 1000, statistics.median(base[phase]) * 1000
        tot_m, tot_b = tot_m + m, tot_b + b
        print(f"{phase:<15}{m:>13.2f}{b:>13.2f}{b / m:>9.1f}x")
    print(f"{'total':<15}{tot_m:>13.2f}{tot_b:>13.2f}{tot_b / tot_m:>9.1f}x")
    print(f"{'image payload':<15}{my_bytes / 1024:>12.0f}K{base_bytes / 1024:>12.0f}K"
          f"{base_bytes / my_bytes:>9.1f}x")


if __name__ == "__main__":
    main()
