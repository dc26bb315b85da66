"""What the allow-list proxy costs: page loads with and without it.

Loads pages of the web sandbox (127.0.0.1, plain HTTP: every request a new
connection through the proxy) and, if reachable, an https page, each
``--iterations`` times in one browser per setting, and prints the median and
95th percentile of ``page.goto(..., wait_until="load")``.

Usage: python benchmarks/allow_proxy.py [--iterations N] [--https URL]
"""

from __future__ import annotations

import argparse
import statistics
import time
from urllib.parse import urlsplit

from guiagent.drivers.playwright import PlaywrightDriver
from guiagent.sandboxes.web import WebSandbox


def load_times(urls: list[str], allow: list[str] | None, iterations: int) -> list[float]:
    """Seconds per load of each of ``urls``, ``iterations`` rounds, one browser."""
    times = []
    with PlaywrightDriver(None, allow_domains=allow) as driver:
        for url in urls:  # warm up: first connection, caches
            driver.page.goto(url, wait_until="load")
        for _ in range(iterations):
            for url in urls:
                t0 = time.perf_counter()
                driver.page.goto(url, wait_until="load")
                times.append(time.perf_counter() - t0)
    return times


def summary(name: str, times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return f"{name:<28} median {statistics.median(times) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--https", help="also an https page (needs the network)")
    args = parser.parse_args()
    with WebSandbox() as sandbox:
        urls = [sandbox.url + p for p in ("/", "/contact", "/login", "/signup")]
        host = urlsplit(sandbox.url).netloc
        print(f"{len(urls)} sandbox pages x {args.iterations}")
        print(summary("direct", load_times(urls, None, args.iterations)))
        print(summary("through the proxy", load_times(urls, [host], args.iterations)))
    if args.https:
        host = urlsplit(args.https).hostname or ""
        print(summary("https direct", load_times([args.https], None, args.iterations)))
        print(summary("https through the proxy", load_times([args.https], [host], args.iterations)))


if __name__ == "__main__":
    main()
