"""Where a rebuilt or restored database waits to be swapped in, and the check a swap command's
path must pass before anything changes.

A staged file lies beside the live database and is named after it: ``scpln.db.rebuild`` for
a rebuild, ``scpln.db.restore`` for a restore. A swap consumes the file it is given (the file
and its ``-wal``/``-shm`` are removed), so the command may name nothing else: not the live
file or its side files, not a file elsewhere (symlinks are resolved first), not a directory or
a device, not a file that is no registry database.
"""

from pathlib import Path
from typing import Literal

from services.run_registry.backup import is_registry_database

Reason = Literal["rebuild", "restore"]
SIDE_FILES = ("-wal", "-shm", "-journal")


def staged_path(live: Path, reason: Reason) -> Path:
    """Where ``scpln registry`` stages the database of a rebuild or a restore."""
    return live.with_name(f"{live.name}.{reason}")


class SwapRefused(ValueError):
    """The path of a swap command is not a staged database; ``error`` is the ErrorReply code."""

    def __init__(self, error: Literal["not_allowed", "validation_failed"], message: str) -> None:
        super().__init__(message)
        self.error = error


def staged_file(path: str, live: Path, reason: Reason) -> Path:
    """The real path of the staged database ``path`` names, or ``SwapRefused`` saying why not."""
    given = Path(path)
    if not given.is_absolute():
        raise SwapRefused("validation_failed", f"{path} is not an absolute path")
    live = live.resolve()
    try:
        real = given.resolve(strict=True)
    except FileNotFoundError:
        raise SwapRefused("validation_failed", f"no such file: {path}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise SwapRefused("validation_failed", f"{path} cannot be resolved: {exc}") from None
    if real == live or real.name in {live.name + side for side in SIDE_FILES}:
        raise SwapRefused("not_allowed", f"{path} is the live read model (or one of its side files): "
                                         "a swap takes a staged copy")
    expected = staged_path(live, reason)
    if real.parent != live.parent:
        raise SwapRefused("not_allowed", f"{path} is outside the registry's data directory {live.parent}: "
                                         f"a {reason} swaps in {expected} only")
    if real != expected:
        raise SwapRefused("not_allowed", f"{path} is not the file staged for a {reason}: "
                                         f"a {reason} swaps in {expected} only")
    if not real.is_file():
        raise SwapRefused("validation_failed", f"{path} is not a regular file")
    if not is_registry_database(real):
        raise SwapRefused("validation_failed", f"{path} is not a registry database")
    return real
