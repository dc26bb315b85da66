"""What a tool call of ``guiagent mcp`` costs, seen from the MCP client over stdio.

Starts ``guiagent mcp --url <web sandbox /login>`` with the SDK's client and
times ``--iterations`` rounds of ``screenshot``, ``click`` (on the page's
background, which changes nothing) and ``type`` (into the focused username
field), then prints the median and 95th percentile per tool, and the time from
spawning the server to its first answered call. Each action includes its own
fresh screenshot for the session's log, the guard's checks and the log write.

Usage: python benchmarks/mcp_tools.py [--iterations N] [--image-format jpeg|png]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time

from mcp import Client, StdioServerParameters

from guiagent.sandboxes.web import WebSandbox


def summary(name: str, times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return f"{name:<12} median {statistics.median(times) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


async def measure(url: str, iterations: int, image_format: str, runs: str) -> dict[str, list[float]]:
    params = StdioServerParameters(command=sys.executable, args=[
        "-m", "guiagent.cli.main", "mcp", "--url", url, "--runs", runs,
        "--image-format", image_format])
    times: dict[str, list[float]] = {"startup": [], "screenshot": [], "click": [], "type": []}
    t0 = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        times["startup"].append(time.perf_counter() - t0)
        await client.call_tool("click", {"x": 500, "y": 300})  # focus the username field
        for _ in range(iterations):
            for name, args in (("screenshot", {}), ("click", {"x": 900, "y": 900}),
                               ("type", {"text": "a"})):
                t0 = time.perf_counter()
                result = await client.call_tool(name, args)
                times[name].append(time.perf_counter() - t0)
                if result.is_error:
                    raise SystemExit(f"{name} failed: {result.content[0].text}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--image-format", choices=("jpeg", "png"), default="jpeg")
    args = parser.parse_args()
    with WebSandbox() as sandbox, tempfile.TemporaryDirectory() as runs:
        times = asyncio.run(measure(sandbox.url + "/login", args.iterations, args.image_format, runs))
    print(f"guiagent mcp over stdio, {args.iterations} rounds, {args.image_format} screenshots")
    for name, values in times.items():
        print(summary(name, values))


if __name__ == "__main__":
    main()
