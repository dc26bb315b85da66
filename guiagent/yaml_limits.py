"""YAML from files someone else wrote: bounded in size and in alias expansion.

Skill files, task suites and policy files may come from anyone. A "billion
laughs" file is a few hundred bytes whose aliases (``*name``) expand to millions
of values, and PyYAML builds them all. Here the text is composed once into nodes
(which keep their lines, for error messages), the expanded size is counted
before anything is constructed, and only then does it become data.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import GuiAgentError

# libyaml's loader when PyYAML has it (ten times faster), else the pure-Python one.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Hand-written files are small; anything larger is refused unread.
MAX_FILE_CHARS = 1_000_000
#: Values (YAML nodes) a file may expand to, aliases counted at every use.
MAX_NODES = 100_000


def load_bounded(text: str, filename: str, error: type[GuiAgentError],
                 kind: str = "YAML file") -> tuple[Any, yaml.Node | None]:
    """The data of ``text`` and its root node; ``error`` (with file and line) for anything refused."""
    if len(text) > MAX_FILE_CHARS:
        raise error(f"{filename}: {len(text):,} characters is too large for a {kind} "
                    f"(the limit is {MAX_FILE_CHARS:,})")
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        check_expansion(root, filename, error)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        raise error(f"{where}: YAML syntax error: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:  # not marked: e.g. a reader error on odd characters
        raise error(f"{filename}: YAML error: {exc}") from exc
    except RecursionError as exc:
        raise error(f"{filename}: the YAML nests too deeply") from exc
    finally:
        loader.dispose()
    return data, root


def check_expansion(root: yaml.Node | None, filename: str, error: type[GuiAgentError]) -> None:
    """Refuse alias graphs that expand too far or refer to themselves.

    Composed YAML shares the node of an anchor wherever an alias uses it, so the
    expanded size is counted once per node (memoized), in time linear in the file.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)] if root is not None else []
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children(node))
            if sizes[key] > MAX_NODES:
                raise error(f"{filename}:{node.start_mark.line + 1}: the YAML expands to more "
                            f"than {MAX_NODES:,} values through aliases (*name); write the "
                            "values out")
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise error(f"{filename}:{node.start_mark.line + 1}: a YAML alias refers to the "
                        "value that contains it")
        open_nodes.add(key)
        stack.append((node, True))
        for child in children(node):
            if id(child) in open_nodes:
                raise error(f"{filename}:{child.start_mark.line + 1}: a YAML alias refers to "
                            "the value that contains it")
            if id(child) not in sizes:
                stack.append((child, False))


def children(node: yaml.Node) -> list[yaml.Node]:
    """The nodes directly inside a sequence or mapping (keys and values)."""
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
