"""An original scpln planning input set on its way to plan_service: the text of its files, by name.

An input set is a folder of CSV files (``demand_family.csv``, ``mix_share.csv``, ``item.csv``,
``bom.csv``, ``capacity.csv``, ``inventory.csv``, ``open_po.csv``, ``period_cost.csv``,
``period_score.csv``) with, optionally, ``planning_calendar.json`` and ``meta.json``. The gateway
(``POST /configs/input-sets``, the Configs page) and ``scpln configs import-input-set`` gather the
files (several files, a folder, or one zip holding them), decode them (UTF-8, a byte-order mark
dropped) and send them as the document of an ``ImportConfig`` command::

    {"input_set": {"files": {"item.csv": "item,lt,lot,moq\\n…", …}, "name": "…", "base": null}}

plan_service turns that into a canonical-1.0 document (services/plan_service/domain/input_set.py).
"""

import io
import posixpath
import zipfile
from collections.abc import Iterable
from typing import Any

KEY = "input_set"
CODE = "input_set_invalid"
UNPACKED_MAX = 50 * 1024 * 1024
"""The most a zip may unpack to, in all."""


class InputSetError(ValueError):
    """An input set that cannot be read; ``problems`` name the file, and the row and column where known."""

    def __init__(self, problems: list[dict[str, Any]]):
        super().__init__("; ".join(p["path"] + ": " + p["message"] for p in problems[:5]))
        self.problems = problems


def problem(file: str, message: str, row: int | None = None, column: str | None = None) -> dict[str, Any]:
    """One problem: ``path`` reads ``demand_family.csv row 3 column demand``; ``row`` is the line
    of the file (the header is row 1)."""
    where = file + (f" row {row}" if row is not None else "") + (f" column {column}" if column else "")
    return {"code": CODE, "path": where, "message": message, "file": file, "row": row, "column": column}


def _unzipped(name: str, data: bytes) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()
                   and not m.filename.startswith("__MACOSX/") and not posixpath.basename(m.filename).startswith(".")]
        if sum(m.file_size for m in members) > UNPACKED_MAX:
            raise InputSetError([problem(name, f"unpacks to more than {UNPACKED_MAX // 2**20} MiB")])
        return [(m.filename, archive.read(m)) for m in members]
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise InputSetError([problem(name, f"not a readable zip file: {exc}")]) from None


def gather(entries: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    """File name (lower case, without folders) → text, from uploaded files and zips of them.
    Refuses a name given twice and a file that is not UTF-8 text (naming its row)."""
    flat: list[tuple[str, bytes]] = []
    for name, data in entries:
        flat += _unzipped(name, data) if name.lower().endswith(".zip") else [(name, data)]
    files: dict[str, str] = {}
    problems = []
    for path, data in flat:
        name = posixpath.basename(path.replace("\\", "/")).strip().lower()
        if not name:
            continue
        if name in files:
            problems.append(problem(name, f"given twice ({path})"))
            continue
        try:
            files[name] = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            row = data[:exc.start].count(b"\n") + 1
            problems.append(problem(name, f"not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
                                          "save it as UTF-8", row=row))
    if problems:
        raise InputSetError(problems)
    if not files:
        raise InputSetError([problem("input set", "no files given")])
    return files


def document(files: dict[str, str], name: str | None = None, base: str | None = None) -> dict[str, Any]:
    """The ``ImportConfig`` document that carries an input set."""
    return {KEY: {"files": files, "name": name or None, "base": base or None}}


def is_input_set(document: Any) -> bool:
    return isinstance(document, dict) and set(document) == {KEY} and isinstance(document[KEY], dict)
