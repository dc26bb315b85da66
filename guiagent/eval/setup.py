"""A task's ``setup`` steps: prepare the episode's world before the agent sees it.

``reset`` and ``seed`` work on the episode's web sandbox database (through the
sandbox's own ``reset``/``seed``, which restore and check its demo data), ``copy``
places files in the work folder, ``python`` calls a function with the episode
context (a returned string replaces the instruction: MiniWoB's comes from the
page). Environment-specific steps (``open``) are the environment's.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from contextlib import closing
from typing import Any

from ..errors import ConfigError
from .context import EpisodeContext
from .schema import CopySpec, CopyStep, PythonStep, ResetStep, SeedStep


def run_setup(steps: list[Any], ctx: EpisodeContext, env: Any) -> None:
    """Carry out the steps in order."""
    for step in steps:
        if env.setup_step(step, ctx):
            continue
        sandbox = getattr(env, "sandbox", None)
        if isinstance(step, ResetStep):
            if sandbox is not None and hasattr(sandbox, "reset"):
                sandbox.reset()  # the sandbox knows its demo data
            else:
                _reset(ctx)
        elif isinstance(step, SeedStep):
            if sandbox is not None and hasattr(sandbox, "seed"):
                sandbox.seed(step.seed.table, step.seed.rows)  # checks tables and columns
            else:
                _seed(ctx, step.seed.table, step.seed.rows)
        elif isinstance(step, CopyStep):
            copy_into_work(step.copy_, ctx)
        elif isinstance(step, PythonStep):
            from .checks import resolve_function

            out = resolve_function(step.python.function, ctx.task.base_dir)(ctx, **step.python.args)
            if isinstance(out, str) and out.strip():
                ctx.instruction = out
        else:
            raise ConfigError(f"this episode's environment cannot carry out {step!r}")


def _db(ctx: EpisodeContext) -> Any:
    if ctx.db_path is None:
        raise ConfigError(f"task {ctx.task.id!r}: reset/seed need the web sandbox (a url with {{sandbox}})")
    return closing(sqlite3.connect(str(ctx.db_path), timeout=10))


def _reset(ctx: EpisodeContext) -> None:
    """Empty every table of the sandbox database (ids restart at 1)."""
    with _db(ctx) as conn, conn:
        tables = [r[0] for r in conn.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")]
        for table in tables:
            conn.execute(f'DELETE FROM "{table}"')
        if conn.execute("select 1 from sqlite_master where name = 'sqlite_sequence'").fetchone():
            conn.execute("DELETE FROM sqlite_sequence")


def _seed(ctx: EpisodeContext, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows (names were validated as identifiers; dicts and lists are stored as JSON)."""
    with _db(ctx) as conn, conn:
        for row in rows:
            cols = list(row)
            values = [json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                      for v in row.values()]
            names = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join("?" for _ in cols)
            conn.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values)


def _links(folder: str, names: list[str]) -> list[str]:
    """Links inside a copied folder are left out: they could point anywhere."""
    return [n for n in names if os.path.islink(os.path.join(folder, n))]


def copy_into_work(spec: CopySpec, ctx: EpisodeContext) -> None:
    """Copy a file or folder from beside the suite file into the work folder."""
    source = ctx.task.suite_file(spec.from_, "copy source")
    if not source.exists():
        raise ConfigError(f"task {ctx.task.id!r}: copy source {source} does not exist")
    target = ctx.work_file(spec.to or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=_links)
    else:
        shutil.copy2(source, target)
