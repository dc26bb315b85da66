"""What Qwen2.5-VL and Qwen3-VL share: the two-part template and the tool's description.

A Qwen template file holds the system message (with ``$tools``, the
``computer_use`` definition) and, after a line ``=== user ===``, the user
text (``$task``, ``$history``, ``$tips``). The tool description tells the
model the screen's resolution in its own coordinate space: the smart-resized
image's pixels for Qwen2.5-VL, ``1000x1000`` for Qwen3-VL's relative points.
"""

from __future__ import annotations

import json
from string import Template

from ..errors import ConfigError
from .family_template import family_template
from .qwen_tool_call import computer_use_tool
from .templates import Placeholder

USER_MARK = "=== user ==="
PLACEHOLDERS = (
    Placeholder("tools", "the `computer_use` function as one JSON line (system part; it states "
                "the screen's resolution in the model's coordinates)", required=True),
    Placeholder("task", "the task, as the user gave it (user part)", required=True),
    Placeholder("history", "the earlier steps (user part): Qwen2.5-VL `Step N: <tool call>; ` "
                "entries; Qwen3-VL `Step N: <action>` lines of the steps older than the four "
                "replayed as turns, or `None`", required=True),
    Placeholder("tips", "`Tips:` and the run's tips as `- ` lines (user part), or empty; a "
                "template without it cannot take tips"),
)

_DESCRIPTION = """Operate a computer with the mouse and keyboard, seeing the screen through screenshots.
* The screen shows a graphical interface (a desktop or a browser page); there is no terminal.
* Some applications take a while to start or to respond: wait for the next screenshot before acting again.
* The screen's resolution is {width}x{height}.
* Before moving the cursor to an element, read its position off the latest screenshot.
* Click buttons, links and icons with the cursor tip at the centre of the element, not at its edge."""

_ACTION_HELP = {
    "key": "press the keys in `keys` in order, then release them in reverse order.",
    "type": "type the string in `text` on the keyboard.",
    "mouse_move": "move the cursor to the (x, y) pixel `coordinate` on the screen.",
    "left_click": "click the left mouse button at the (x, y) pixel `coordinate` on the screen.",
    "left_click_drag": "hold the left button down and drag the cursor to the (x, y) pixel "
                       "`coordinate` on the screen.",
    "right_click": "click the right mouse button at the (x, y) pixel `coordinate` on the screen.",
    "middle_click": "click the middle mouse button at the (x, y) pixel `coordinate` on the "
                    "screen.",
    "double_click": "double-click the left mouse button at the (x, y) pixel `coordinate` on the "
                    "screen.",
    "triple_click": "triple-click the left mouse button at the (x, y) pixel `coordinate` "
                    "(carried out as a double-click, the closest action).",
    "scroll": "turn the mouse wheel by `pixels` with the cursor at `coordinate`.",
    "hscroll": "scroll sideways by `pixels` with the cursor at `coordinate`.",
    "wait": "wait `time` seconds for the screen to change.",
    "terminate": "end the task and report its `status`.",
    "answer": "give the answer to a question the task asks, in `text`.",
}


def split_template(user_text: str | None, template_file: str, protocol: str,
                   tips: str | None) -> tuple[Template, Template]:
    """The checked system and user parts of a Qwen template (``=== user ===`` between them)."""
    template = family_template(user_text, template_file, PLACEHOLDERS, protocol, tips)
    system, mark, user = template.template.partition("\n" + USER_MARK + "\n")
    if not mark:
        source = "the prompt template" if user_text is not None else template_file
        raise ConfigError(f"{source} for the {protocol} protocol needs a line '{USER_MARK}' "
                          "between the system message and the user message")
    return Template(system), Template(user)


def tools_line(width: int, height: int, actions: tuple[str, ...]) -> str:
    """The one-line JSON definition of ``computer_use`` for a screen of ``width`` x ``height``."""
    help_text = "\n".join(f"* `{a}`: {_ACTION_HELP[a]}" for a in actions)
    tool = computer_use_tool(_DESCRIPTION.format(width=width, height=height), actions,
                             "The action to perform. The available actions are:\n" + help_text)
    return json.dumps(tool, ensure_ascii=False)


def tips_text(tips: str | None) -> str:
    """Extra guidance as lines under the task (empty when there is none)."""
    lines = [line.strip() for line in (tips or "").splitlines() if line.strip()]
    return ("Tips:\n" + "\n".join(f"- {line}" for line in lines) + "\n") if lines else ""
