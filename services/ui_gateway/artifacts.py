"""A plan artifact (a JSON document of one pipeline step) shown as tables.

The steps' layouts differ, so this reads shapes, not names: a list of records is a table;
a matrix whose rows match a label list (items, families) and whose columns match the weeks or
periods is a table with labelled rows and columns; scalars and flat dicts make a key/value table.
"""

from dataclasses import dataclass, field
from typing import Any

MAX_ROWS = 200
ROW_LABELS = ("items", "families")
COLUMN_LABELS = ("weeks", "periods")


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    total: int = 0
    notes: list[str] = field(default_factory=list)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _label(entry: Any) -> str:
    if isinstance(entry, dict):
        return str(entry.get("label") or entry.get("item") or entry.get("family") or entry)
    return str(entry)


def _records(title: str, records: list[dict[str, Any]]) -> Table:
    columns = list(dict.fromkeys(k for r in records for k, v in r.items() if _scalar(v)))
    rows = [[r.get(c) for c in columns] for r in records[:MAX_ROWS]]
    return Table(title, columns, rows, len(records))


def _matrix(title: str, matrix: list[list[Any]], doc: dict[str, Any]) -> Table:
    row_labels = next((doc[k] for k in ROW_LABELS if isinstance(doc.get(k), list) and len(doc[k]) == len(matrix)), None)
    width = max((len(r) for r in matrix), default=0)
    col_labels = next((doc[k] for k in COLUMN_LABELS if isinstance(doc.get(k), list) and len(doc[k]) == width), None)
    columns = [""] + ([_label(c) for c in col_labels] if col_labels else [str(i + 1) for i in range(width)])
    labels = [_label(r) for r in row_labels] if row_labels else [str(i + 1) for i in range(len(matrix))]
    rows = [[label, *row] for label, row in zip(labels, matrix[:MAX_ROWS])]
    return Table(title, columns, rows, len(matrix))


def _is_matrix(value: Any) -> bool:
    return bool(value) and isinstance(value, list) and all(isinstance(r, list) for r in value) \
        and all(_scalar(x) for r in value for x in r)


def artifact_tables(doc: Any) -> list[Table]:
    if not isinstance(doc, dict):
        return [Table("value", ["value"], [[doc]], 1)]
    summary: list[list[Any]] = []
    tables: list[Table] = []
    for key, value in doc.items():
        if _scalar(value):
            summary.append([key, value])
        elif isinstance(value, dict) and all(_scalar(v) for v in value.values()):
            summary.extend([f"{key}.{k}", v] for k, v in value.items())
        elif isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            tables.append(_records(key, value))
        elif _is_matrix(value):
            tables.append(_matrix(key, value, doc))
        elif isinstance(value, list) and value and all(_scalar(v) for v in value):
            summary.append([key, ", ".join(map(str, value))])
    if summary:
        tables.insert(0, Table("summary", ["field", "value"], summary, len(summary)))
    return tables
