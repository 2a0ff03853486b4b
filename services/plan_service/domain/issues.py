"""Problems found in a canonical document: an error rejects the import, a warning is kept with it."""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    code: str
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def rows(document: dict, key: str) -> list[tuple[int, dict]]:
    """The dict entries of a list under ``key`` with their indexes; shape errors are reported elsewhere."""
    value = document.get(key)
    if not isinstance(value, list):
        return []
    return [(index, row) for index, row in enumerate(value) if isinstance(row, dict)]


def text(row: dict, key: str) -> str | None:
    value: Any = row.get(key)
    return value if isinstance(value, str) else None


def codes(document: dict, key: str) -> set[str]:
    return {code for _, row in rows(document, key) if (code := text(row, "code")) is not None}
