"""executemany straight on the DBAPI cursor: a statement compiled once per set of columns,
each row's values converted by the column types' own bind processors, no per-row work of
the SQL layer."""

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import sqlite

Processor = Callable[[Any], Any] | None
_DIALECT = sqlite.dialect()
_COMPILED: dict[tuple[int, tuple[str, ...]], tuple[Any, str, tuple[str, ...], list[Processor]]] = {}


def _compiled(stmt: Any, keys: tuple[str, ...]) -> tuple[str, tuple[str, ...], list[Processor]]:
    entry = _COMPILED.get((id(stmt), keys))
    if entry is None or entry[0] is not stmt:
        compiled = stmt.compile(dialect=_DIALECT, column_keys=list(keys))
        names = tuple(compiled.positiontup or ())
        processors = [compiled.binds[name].type.bind_processor(_DIALECT) for name in names]
        entry = _COMPILED[(id(stmt), keys)] = (stmt, compiled.string, names, processors)
    return entry[1], entry[2], entry[3]


def executemany(conn: Connection, stmt: Any, rows: list[dict[str, Any]]) -> None:
    """``conn.execute(stmt, rows)`` for rows with the same keys and plain bind parameters."""
    if not rows:
        return
    sql, names, processors = _compiled(stmt, tuple(rows[0]))
    converters = [(i, convert) for i, convert in enumerate(processors) if convert is not None]
    values_of = itemgetter(*names) if len(names) > 1 else lambda row: tuple(row[name] for name in names)
    if not converters:
        conn.exec_driver_sql(sql, [values_of(row) for row in rows])
        return
    converted = []
    for row in rows:
        values = list(values_of(row))
        for i, convert in converters:
            values[i] = convert(values[i])
        converted.append(tuple(values))
    conn.exec_driver_sql(sql, converted)
