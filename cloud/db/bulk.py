"""Many rows in one SQLite statement.

sqlite3's executemany releases and retakes the GIL for every row; while the MQTT network
thread is busy each retake can wait a whole switch interval. One multi-row statement releases
it once, which makes the ingest several times faster under load.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

# SQLite (3.32+) allows 32766 host parameters per statement
MAX_PARAMETERS = 32_000


def _chunks(rows: Sequence[Sequence[Any]], width: int) -> Iterator[Sequence[Sequence[Any]]]:
    size = max(1, MAX_PARAMETERS // width)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _values(count: int, width: int) -> str:
    row = "(" + ", ".join(["?"] * width) + ")"
    return ", ".join([row] * count)


def insert_rows(cursor: sqlite3.Cursor, head: str, rows: Sequence[Sequence[Any]], *, tail: str = "") -> list[Any]:
    """Run `head VALUES (...), (...) tail` for all rows, in as few statements as the limits allow.

    Returns the rows a RETURNING tail yields (empty otherwise).
    """
    if not rows:
        return []
    width = len(rows[0])
    returned: list[Any] = []
    for chunk in _chunks(rows, width):
        params = [value for row in chunk for value in row]
        returned.extend(cursor.execute(f"{head} VALUES {_values(len(chunk), width)} {tail}", params).fetchall())
    return returned


def update_from_rows(
    cursor: sqlite3.Cursor,
    *,
    table: str,
    columns: Sequence[str],
    keys: Sequence[str],
    assignments: str,
    rows: Sequence[Sequence[Any]],
) -> None:
    """Update `table` from rows of (`columns`…), matched on the `keys` columns, in few statements.

    `assignments` names the row's values ``v.<column>`` and the current ones ``<table>.<column>``,
    e.g. ``state = coalesce(v.state, gateways.state)``.
    """
    if not rows:
        return
    names = ", ".join(columns)
    match = " AND ".join(f"{table}.{key} = v.{key}" for key in keys)
    for chunk in _chunks(rows, len(columns)):
        params = [value for row in chunk for value in row]
        cursor.execute(
            f"WITH v({names}) AS (VALUES {_values(len(chunk), len(columns))}) "
            f"UPDATE {table} SET {assignments} FROM v WHERE {match}",
            params,
        )
