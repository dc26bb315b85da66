"""SQLite tables of the sandbox's account area: customers, orders, settings, changes.

Every create, update and delete made through the pages is applied to its table
and also appended to ``changes`` (entity, id, action, and the old/new value of
each changed field), so an evaluation can check the world in SQL: that order
1007 is now "Shipped", and that exactly one change was made to get there.
Each database starts with the deterministic data of :mod:`.seed_data`;
:func:`reset` restores it and :func:`seed` adds rows for a task's setup.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import seed_data
from .store import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, email TEXT NOT NULL,
    city TEXT NOT NULL DEFAULT '', company TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER NOT NULL REFERENCES customers(id),
    product TEXT NOT NULL, quantity INTEGER NOT NULL, total_cents INTEGER NOT NULL,
    status TEXT NOT NULL, shipping TEXT NOT NULL DEFAULT 'Standard',
    gift_wrap INTEGER NOT NULL DEFAULT 0, note TEXT NOT NULL DEFAULT '', placed_on TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, entity TEXT NOT NULL,
    entity_id TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

#: Tables a task's ``seed`` step may add rows to, with the columns it may set.
SEEDABLE: dict[str, tuple[str, ...]] = {
    "customers": ("id", "name", "email", "city", "company"),
    "orders": ("id", "customer_id", "product", "quantity", "total_cents", "status", "shipping",
               "gift_wrap", "note", "placed_on"),
    "settings": ("key", "value"),
    "submissions": ("id", "form", "created_at", "data"),
}
_RESET_ORDER = ("changes", "orders", "customers", "settings")


class SeedError(ValueError):
    """Rows given to :func:`seed` do not fit the sandbox's tables."""


def init(db_path: str | Path) -> None:
    """Create the tables, and fill them with the demo data the first time only."""
    with connect(db_path) as conn:
        conn.executescript(SCHEMA)
        if conn.execute("SELECT 1 FROM meta WHERE key = 'seeded'").fetchone() is None:
            _fill(conn)
            conn.execute("INSERT INTO meta (key, value) VALUES ('seeded', '1')")


def _fill(conn: sqlite3.Connection) -> None:
    _insert(conn, "customers", seed_data.customers())
    _insert(conn, "orders", seed_data.orders())
    _insert(conn, "settings", [{"key": k, "value": v} for k, v in seed_data.DEFAULT_SETTINGS.items()])


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> list[int]:
    ids = []
    for row in rows:
        cols = list(row)
        # Table and column names come from SEEDABLE (checked by the callers), never from input.
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        ids.append(int(conn.execute(sql, [row[c] for c in cols]).lastrowid or 0))
    return ids


def reset(db_path: str | Path) -> None:
    """Put customers, orders and settings back to the demo data and forget all changes."""
    with connect(db_path) as conn:
        for table in _RESET_ORDER:
            conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        conn.execute("DELETE FROM sqlite_sequence WHERE name IN ('changes', 'orders', 'customers')")
        _fill(conn)


def seed(db_path: str | Path, table: str, rows: list[dict[str, Any]]) -> list[int]:
    """Add rows for a task's setup; returns their ids (settings rows replace a key's value).

    Unknown tables or columns raise :class:`SeedError` naming what is allowed, so a
    typo in a task file fails its setup instead of silently seeding nothing.
    """
    if table not in SEEDABLE:
        raise SeedError(f"cannot seed table {table!r}: choose one of {', '.join(SEEDABLE)}")
    allowed = SEEDABLE[table]
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not row:
            raise SeedError(f"seed row {i + 1} of {table!r} must be a non-empty mapping")
        unknown = sorted(set(row) - set(allowed))
        if unknown:
            raise SeedError(f"seed row {i + 1} of {table!r} has unknown column(s) "
                            f"{', '.join(unknown)}; allowed: {', '.join(allowed)}")
    with connect(db_path) as conn:
        try:
            if table == "settings":
                for row in rows:
                    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                                 (row.get("key"), str(row.get("value", ""))))
                return []
            if table == "submissions":  # as the forms store them: data as JSON, a timestamp
                now = datetime.now(UTC).isoformat(timespec="milliseconds")
                rows = [{"created_at": now, "data": {}} | r for r in rows]
            return _insert(conn, table, [{k: json.dumps(v, ensure_ascii=False)
                                          if isinstance(v, dict | list) else v
                                          for k, v in r.items()} for r in rows])
        except (sqlite3.IntegrityError, sqlite3.InterfaceError) as exc:
            raise SeedError(f"seed rows of {table!r} were refused by SQLite: {exc}") from exc


def record_change(conn: sqlite3.Connection, entity: str, entity_id: object, action: str,
                  detail: dict[str, Any]) -> None:
    """Append one change to the audit table (same transaction as the change itself)."""
    at = datetime.now(UTC).isoformat(timespec="milliseconds")
    conn.execute("INSERT INTO changes (at, entity, entity_id, action, detail) VALUES (?, ?, ?, ?, ?)",
                 (at, entity, str(entity_id), action, json.dumps(detail, ensure_ascii=False)))


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def query(db_path: str | Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows of a read query as dicts (the pages' own queries; never user SQL)."""
    with connect(db_path) as conn:
        return _rows(conn, sql, params)


def update(db_path: str | Path, table: str, entity: str, row_id: int,
           values: dict[str, Any]) -> dict[str, list[Any]]:
    """Change some columns of one row; record and return ``{field: [old, new]}`` of real changes."""
    with connect(db_path) as conn:
        old = _rows(conn, f"SELECT * FROM {table} WHERE id = ?", (row_id,))  # noqa: S608
        if not old:
            return {}
        diff = {k: [old[0][k], v] for k, v in values.items() if old[0][k] != v}
        if diff:
            sets = ", ".join(f"{k} = ?" for k in diff)
            conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?",  # noqa: S608
                         [v for _, v in diff.values()] + [row_id])
            record_change(conn, entity, row_id, "update", diff)
        return diff


def delete(db_path: str | Path, table: str, entity: str, row_id: int) -> bool:
    """Delete one row and record it with its last values; False when it did not exist."""
    with connect(db_path) as conn:
        old = _rows(conn, f"SELECT * FROM {table} WHERE id = ?", (row_id,))  # noqa: S608
        if not old:
            return False
        conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))  # noqa: S608
        record_change(conn, entity, row_id, "delete", old[0])
        return True


def create(db_path: str | Path, table: str, entity: str, values: dict[str, Any]) -> int:
    """Insert one row through a page and record it; returns the new id."""
    with connect(db_path) as conn:
        row_id = _insert(conn, table, [values])[0]
        record_change(conn, entity, row_id, "create", values)
        return row_id


def settings(db_path: str | Path) -> dict[str, str]:
    """All settings as a dict."""
    with connect(db_path) as conn:
        return dict(conn.execute("SELECT key, value FROM settings").fetchall())


def save_settings(db_path: str | Path, entity: str, values: dict[str, str]) -> dict[str, list[str]]:
    """Store changed settings and record them as one change; returns the diff."""
    with connect(db_path) as conn:
        old = dict(conn.execute("SELECT key, value FROM settings").fetchall())
        diff = {k: [old.get(k, ""), v] for k, v in values.items() if old.get(k, "") != v}
        for key, (_, new) in diff.items():
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, new))
        if diff:
            record_change(conn, entity, entity, "update", diff)
        return diff
