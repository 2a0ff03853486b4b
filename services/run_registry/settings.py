from pathlib import Path
from typing import Literal

from runtime.settings import CommonSettings


class Settings(CommonSettings):
    """run_registry settings (DESIGN §5 names; environment variables, any case)."""

    registry_backend: Literal["db", "memory"] = "db"
    scpln_db: Path = Path("data/scpln.db")
    runs_db_max_rows: int | None = None
    batch_size: int = 500
    fetch_timeout_s: float = 1.0
    min_seq_wait_s: float = 2.0
    backup_dir: Path | None = None
    backup_every_s: float = 0.0
    backup_keep: int = 7
