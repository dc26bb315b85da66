#!/usr/bin/env python3
"""A fast seeded fuzz loop for the answer parser and the skill loader (no hypothesis).

    .venv/bin/python scripts/fuzz_random.py --inputs 100000 [--seed 1] [--target parser|skills|all]

The hypothesis properties (scripts/fuzz.py) shrink what they find but spend
most of their time generating; this loop draws inputs the same way (near-valid
answers and skill files, mutated with the characters that matter, and plain
random text) with ``random.Random(seed)`` and calls the real functions
directly, so a hunt of 100,000 inputs per target fits in minutes on a busy
machine. An input "passes" when parse_answer returns an action or raises
ModelResponseError, parse_skill returns a Skill or raises SkillFileError, and
templates render or raise SkillStepError; anything else is counted, and the
first few are printed with their input. Exit status 0 only when none was found.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import yaml

from guiagent.errors import ModelResponseError, SkillFileError, SkillStepError
from guiagent.protocols.glm41v_parse import _ALIASES, _SPEC, parse_answer
from guiagent.skills import parse_skill
from guiagent.skills.templating import render_text, render_value

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "skills").glob("*.yaml"))]
NAMES = sorted([*_SPEC, *_ALIASES, "WAIT", "DONE", "FAIL", "Left_Click"])
PARAMS = ["start_box", "end_box", "element_info", "keys", "content", "direction", "step",
          "point", "text", "key", "steps", "bogus"]
ANSWER_CHARS = list("'\"()[],=\\<>|\n0")
YAML_BITS = list(":-&*!{}[]|>%@#'\"\t\n ,?") + ["\n  ", "\n    ", "- ", ": ", "&a ", "*a", "<<: *a",
                                                "{{", "}}", "{%", "%}", "!!python/object:os.system",
                                                "!!binary", "~", "null", "yes", "0x1F", "1e999",
                                                ".inf", "\ufeff", "\x00", "\u2028", "&b [*b]"]
TEMPLATES = ["{{ record }}", "{{ x }}", "{{ 'a' * 3 }}", "{% for i in items %}{{ i }}{% endfor %}",
             "{{ x|upper }}", "{{", "}}", "{% if %}", "{{ x.__class__ }}", "{{ 'x' * 10**9 }}",
             "{{ range(10**9) }}", "{# c #}", "{{ x[0] }}", "{{ 1/0 }}", "{{ 'x'|center(10**9) }}"]


def rtext(rng: random.Random, size: int) -> str:
    """Random text: mostly printable, some control and astral characters."""
    pools = [(32, 127), (0, 32), (127, 0x800), (0x800, 0xD800), (0xE000, 0x110000)]
    out = []
    for _ in range(rng.randint(0, size)):
        lo, hi = pools[0] if rng.random() < 0.8 else rng.choice(pools)
        out.append(chr(rng.randrange(lo, hi)))
    return "".join(out)


def number(rng: random.Random) -> str:
    """A number as a model might write it, odd ones included."""
    return rng.choice([str(rng.randint(-10**6, 10**6)), repr(rng.uniform(-1e6, 1e6)), "1e999",
                       "-0", "nan", "inf", "0x10", "1_000", "١٢"])


def scalar(rng: random.Random) -> str:
    """An argument value: points, numbers, strings, sloppy quoting."""
    nums = [number(rng) for _ in range(rng.randint(0, 5))]
    point = rng.choice(["[" + ",".join(nums) + "]", f"({number(rng)}, {number(rng)})",
                        rtext(rng, 12)])
    return rng.choice([repr(point), point, number(rng), repr(rtext(rng, 20)),
                       "".join(rng.choice("'\"\\()[]{},=+ abc") for _ in range(rng.randint(0, 15))),
                       rng.choice(["None", "True", "{}", "{[1]: 2}", "[[[[]]]]", "1j", "b'x'",
                                   "...", "f(x)", "'ctrl+alt+delete'", "'down'", "['ctrl', 'c']",
                                   "'{{secret:PW}}'"])])


def answer(rng: random.Random) -> str:
    """A near-valid GLM-4.1V answer, then a few character mutations; or random text."""
    if rng.random() < 0.2:
        return rtext(rng, 200)
    args = [(f"{rng.choice(PARAMS)}={scalar(rng)}" if rng.random() < 0.7 else scalar(rng))
            for _ in range(rng.randint(0, 4))]
    end = rng.choice(["", ")", "))", ","])
    action = f"{rng.choice(NAMES)}({', '.join(args)}{end if end != ')' else ''}"
    action += ")" if end == "" else ""
    if rng.random() < 0.5:
        action = f"<|begin_of_box|>{action}<|end_of_box|>"
    if rng.random() < 0.5:
        action = "Action: " + action
    memory = rng.choice(["[]", json.dumps([rtext(rng, 10)]), rtext(rng, 20), "[" * 50,
                         '{"a": [1, 2'])
    text = (rng.choice(["<think>", "", "<think>unclosed ", "</think>"]) + rtext(rng, 30)
            + rng.choice(["</think>", "", "</think></think>"]) + rng.choice(["<answer>", ""])
            + rtext(rng, 20) + "\n" + action + (f"\nMemory:\n{memory}" if rng.random() < 0.5 else "")
            + rng.choice(["</answer>", ""]))
    for _ in range(rng.randint(0, 3)):
        i = rng.randint(0, max(0, len(text) - 1))
        ch = rng.choice(ANSWER_CHARS)
        text = rng.choice([text[:i] + text[i + 1:], text[:i] + ch + text[i:],
                           text[:i] + ch + text[i + 1:]])
    return text


def check_parser(text: str) -> None:
    """An action (that renders and serializes) or a ModelResponseError."""
    try:
        parsed = parse_answer(text, None)
    except ModelResponseError as exc:
        assert str(exc)
        return
    parsed.action.to_call()
    json.dumps(parsed.action.model_dump())


def skill_text(rng: random.Random) -> str:
    """A bundled skill with YAML-significant mutations, a random skill-like mapping, or text."""
    kind = rng.random()
    if kind < 0.15:
        return rtext(rng, 400)
    if kind < 0.6:
        text = rng.choice(BUNDLED)
        for _ in range(rng.randint(1, 6)):
            i = rng.randint(0, len(text))
            bit = rng.choice(YAML_BITS) if rng.random() < 0.8 else rtext(rng, 3)
            op = rng.random()
            if op < 0.4:
                text = text[:i] + bit + text[i:]
            elif op < 0.7:
                text = text[:i] + text[i + rng.randint(1, 20):]
            else:
                text = text[:i] + bit + text[i + len(bit):]
        return text
    return yaml.safe_dump(random_skill(rng), allow_unicode=True)


def value(rng: random.Random, depth: int = 0) -> object:
    """A random YAML value, nested a little."""
    choice = rng.random()
    if depth > 3 or choice < 0.5:
        return rng.choice([None, True, rng.randint(-10**20, 10**20), rng.random(),
                           rng.choice(TEMPLATES), rtext(rng, 20)])
    if choice < 0.75:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = ["text", "label", "role", "into", "steps", "items", "as", "record", "goal",
            "max_steps", "timeout", "bogus"]
    return {rng.choice(keys): value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def random_skill(rng: random.Random) -> dict[str, object]:
    """A mapping shaped roughly like a skill."""
    kinds = ["click", "type", "key", "wait", "wait_for", "select", "agent", "for_each",
             "fill_form", "check", "scroll", "when", "optional", "name", "bogus"]
    steps = [{rng.choice(kinds): value(rng) for _ in range(rng.randint(1, 3))}
             for _ in range(rng.randint(0, 4))]
    data: dict[str, object] = {"name": value(rng), "steps": steps}
    if rng.random() < 0.7:
        data["description"] = value(rng)
    if rng.random() < 0.6:
        data["parameters"] = {rng.choice(["x", "record", "items", "1", ""]): {
            rng.choice(["type", "default", "secret", "description", "bogus"]):
                rng.choice(["string", "integer", "object", "csv", "list", "boolean", value(rng)])
            for _ in range(rng.randint(0, 4))} for _ in range(rng.randint(0, 3))}
    return data


def check_skill(text: str) -> None:
    """A Skill or a SkillFileError naming the file."""
    try:
        parse_skill(text, "fuzz.yaml")
    except SkillFileError as exc:
        assert str(exc).startswith("fuzz.yaml")


def template(rng: random.Random) -> str:
    """A template: known tricky ones, or random template characters."""
    if rng.random() < 0.5:
        return rng.choice(TEMPLATES) + rtext(rng, 5)
    return "".join(rng.choice("{}%#'\"()[]|.*+~-_ 0123456789abcxyz\n") for _ in range(40))


def check_template(text: str) -> None:
    """Rendered, or a SkillStepError."""
    for render in (render_text, render_value):
        try:
            render(text, {"x": 1, "items": [1, 2], "a": "s"})
        except SkillStepError as exc:
            assert str(exc)


TARGETS: dict[str, list[tuple[Callable[[random.Random], str], Callable[[str], None]]]] = {
    "parser": [(answer, check_parser)],
    "skills": [(skill_text, check_skill), (template, check_template)],
}


def hunt(target: str, inputs: int, seed: int) -> tuple[dict[str, int], list[str], float]:
    """Check ``inputs`` inputs of a target; return the counts per check, findings and time."""
    rng = random.Random(f"{seed}-{target}")
    pairs = TARGETS[target]
    found: list[str] = []
    counts = dict.fromkeys((check.__name__ for _, check in pairs), 0)
    started = time.monotonic()
    for n in range(inputs):
        make, check = pairs[n % len(pairs)]
        counts[check.__name__] += 1
        text = make(rng)
        try:
            check(text)
        except Exception:  # noqa: BLE001 - what the hunt is for
            found.append(f"input {text!r}:\n{traceback.format_exc()}")
    return counts, found, time.monotonic() - started


def main() -> int:
    """Run the loop for each target and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000,
                        help="inputs per target; 'skills' alternates skill files and templates")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    args = parser.parse_args()
    ok = True
    for target in TARGETS if args.target == "all" else [args.target]:
        counts, found, seconds = hunt(target, args.inputs, args.seed)
        each = ", ".join(f"{name} {n}" for name, n in counts.items())
        print(f"fuzz {target} (seed {args.seed}): {sum(counts.values())} inputs ({each}) in "
              f"{seconds:.0f}s, {len(found)} unexpected exceptions", flush=True)
        for finding in found[:5]:
            print("  " + finding.replace("\n", "\n    "))
        ok = ok and not found
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
