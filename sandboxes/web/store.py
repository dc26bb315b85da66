"""SQLite persistence for the web sandbox.

Every form submission becomes one row whose field values are kept as a JSON
object, so a test or an agent benchmark can check *what the GUI agent typed*
without scraping HTML. Each call opens and closes its own connection: the
Flask server runs one thread per request and the test process reads the same
file concurrently, and short-lived connections keep that simple and safe.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    form TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL
)
"""


@contextmanager
def connect(db_path: str | Path) -> Iterator[sqlite3.Connection]:
    """Yield a connection that commits on success and is always closed.

    ``sqlite3.Connection``'s own context manager only commits; it never closes,
    which leaks file handles (and ResourceWarnings) in a long-running server.
    """
    with closing(sqlite3.connect(str(db_path), timeout=10)) as conn:
        with conn:
            yield conn


def init_db(db_path: str | Path) -> None:
    """Create the database file and table if they do not exist yet."""
    with connect(db_path) as conn:
        conn.execute(_SCHEMA)


def add_submission(db_path: str | Path, form: str, data: dict[str, Any]) -> int:
    """Store one submission and return its id (used by the thank-you pages)."""
    created_at = datetime.now(UTC).isoformat(timespec="milliseconds")
    with connect(db_path) as conn:
        cur = conn.execute(
            "INSERT INTO submissions (form, created_at, data) VALUES (?, ?, ?)",
            (form, created_at, json.dumps(data, ensure_ascii=False)),
        )
        return int(cur.lastrowid or 0)


def _row_to_dict(row: tuple[int, str, str, str]) -> dict[str, Any]:
    sid, form, created_at, data = row
    return {"id": sid, "form": form, "created_at": created_at, "data": json.loads(data)}


def get_submission(db_path: str | Path, sid: int) -> dict[str, Any] | None:
    """Return one submission by id, or None when it does not exist."""
    with connect(db_path) as conn:
        row = conn.execute(
            "SELECT id, form, created_at, data FROM submissions WHERE id = ?", (sid,)
        ).fetchone()
    return _row_to_dict(row) if row else None


def list_submissions(db_path: str | Path, form: str | None = None) -> list[dict[str, Any]]:
    """Return submissions oldest first, optionally only those of one form."""
    query = "SELECT id, form, created_at, data FROM submissions"
    params: tuple[str, ...] = ()
    if form:
        query += " WHERE form = ?"
        params = (form,)
    with connect(db_path) as conn:
        rows = conn.execute(query + " ORDER BY id", params).fetchall()
    return [_row_to_dict(r) for r in rows]


def clear(db_path: str | Path) -> int:
    """Delete every submission and restart ids at 1; return how many were deleted.

    Restarting the id sequence makes successive test runs against one database
    deterministic.
    """
    with connect(db_path) as conn:
        deleted = conn.execute("DELETE FROM submissions").rowcount
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'submissions'")
    return int(deleted)
