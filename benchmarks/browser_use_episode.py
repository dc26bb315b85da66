"""One browser-use episode against the side-by-side benchmark's fake model.

Runs in a separate virtual environment that has ``browser-use`` (see
benchmarks/README.md); imports nothing of guiagent. browser-use's defaults are
kept (its waits included): this is browser-use as its users run it, with the
system Chromium, headless, at the given viewport.

Usage: PYTHON benchmarks/browser_use_episode.py MODEL_URL START_URL WIDTHxHEIGHT TASK
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile

os.environ.setdefault("ANONYMIZED_TELEMETRY", "false")
os.environ.setdefault("BROWSER_USE_CLOUD_SYNC", "false")


async def main(model_url: str, start_url: str, viewport: str, task: str) -> None:
    from browser_use import Agent, BrowserProfile, BrowserSession
    from browser_use.llm.openai.chat import ChatOpenAI

    width, height = (int(v) for v in viewport.split("x"))
    chromium = os.environ.get("GUIAGENT_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "google-chrome")
    with tempfile.TemporaryDirectory() as profile_dir:
        profile = BrowserProfile(headless=True, executable_path=chromium, chromium_sandbox=False,
                                 user_data_dir=profile_dir, enable_default_extensions=False,
                                 viewport={"width": width, "height": height},
                                 window_size={"width": width, "height": height})
        session = BrowserSession(browser_profile=profile)
        llm = ChatOpenAI(model="fake", base_url=model_url, api_key="x", max_retries=0)
        agent = Agent(task=task, llm=llm, browser_session=session, use_vision=True, use_judge=False,
                      initial_actions=[{"navigate": {"url": start_url, "new_tab": False}}])
        history = await agent.run(max_steps=12)
        await session.kill()
    if not history.is_done():
        raise SystemExit("browser-use's episode did not finish")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
