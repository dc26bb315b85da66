"""What streaming costs the client: one request streamed vs plain, against the local stand-in.

The stand-in (guiagent.testing.GlmModelServer, real HTTP on 127.0.0.1) answers a
GLM-4.1V-shaped reply of ``--thinking-chars`` characters of thought plus the
action, streamed as ~3-word chunks (about what vLLM sends per token group) or as
one JSON body. Both clients are the real ``OpenAIChatClient``; the request carries
one 1280x720 JPEG screenshot like a run's. Interleaved rounds; medians and p95.
The model's own generation time is not in these numbers: they are the price of
reading a stream instead of one body, and the time to the first piece.

Usage: python benchmarks/streaming_client.py [--iterations N] [--thinking-chars N]
"""

from __future__ import annotations

import argparse
import os
import statistics

from PIL import Image

from guiagent.imaging import data_url, encode_image
from guiagent.model import ModelSettings, OpenAIChatClient
from guiagent.testing import GlmModelServer, glm_answer


def summary(name: str, times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return f"{name:<24} median {statistics.median(times) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--thinking-chars", type=int, default=2000)
    args = parser.parse_args()
    thought = ("I look at the form and find the next field to fill. " * 200)[:args.thinking_chars]
    answer = glm_answer("left_click(start_box='[500,500]', element_info='Send')", thinking=thought)
    image = data_url(encode_image(Image.new("RGB", (1280, 720), (200, 210, 220)), "jpeg"),
                     "image/jpeg")
    messages = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": image}},
                                             {"type": "text", "text": "Click Send."}]}]
    times: dict[str, list[float]] = {"plain": [], "streamed": [], "streamed first piece": []}
    with GlmModelServer([answer]) as server:
        plain = OpenAIChatClient(ModelSettings(base_url=server.base_url, stream=False))
        streamed = OpenAIChatClient(ModelSettings(base_url=server.base_url))
        for client in (plain, streamed):  # warm up connections
            client.complete(messages)
        for _ in range(args.iterations):
            times["plain"].append(plain.complete(messages).seconds)
            reply = streamed.complete(messages, on_delta=lambda kind, text: None)
            times["streamed"].append(reply.seconds)
            times["streamed first piece"].append(reply.first_token_seconds or 0.0)
    load = os.getloadavg()[0]
    print(f"{args.iterations} requests each, reply {len(answer)} chars, load average {load:.2f}")
    for name, values in times.items():
        print(summary(name, values))


if __name__ == "__main__":
    main()
