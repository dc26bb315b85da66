"""GLM-4.1V's visual-token count, and the usage the stand-in model server reports with it."""

import pytest
from PIL import Image

from guiagent.geometry import Size
from guiagent.imaging import data_url, encode_image, visual_tokens
from guiagent.model import ModelSettings, OpenAIChatClient
from guiagent.testing import GlmModelServer, glm_answer


@pytest.mark.parametrize(("size", "tokens"), [
    ("1280x720", 26 * 46), ("1920x1080", 2691), ("2560x1440", 4641),
    ("640x360", 13 * 23),   # a half-size history screenshot
    ("10x10", 9),           # scaled up to one block, then to the 112x112 minimum: 3x3
])
def test_visual_tokens_match_the_processor(size, tokens):
    assert visual_tokens(Size.parse(size)) == tokens


def test_a_4k_screen_is_scaled_down_under_the_cap():
    tokens = visual_tokens(Size.parse("3840x2160"))
    assert 5800 <= tokens <= 6100
    assert 2 * tokens * 28 * 28 <= 9_633_792


def test_model_server_counts_visual_tokens_in_usage():
    url = data_url(encode_image(Image.new("RGB", (1280, 720), "white")), "image/jpeg")
    thumb = data_url(encode_image(Image.new("RGB", (640, 360), "white")), "image/jpeg")
    with GlmModelServer([glm_answer("DONE()")]) as server:
        client = OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0))
        messages = [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": url}},
            {"type": "image_url", "image_url": {"url": thumb}},
            {"type": "text", "text": "x" * 400}]}]
        reply = client.complete(messages)
    assert reply.usage.prompt_tokens == 1196 + 299 + 100
