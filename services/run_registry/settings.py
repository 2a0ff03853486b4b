from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from runtime.settings import CommonSettings


class Settings(CommonSettings):
    """run_registry settings (DESIGN §5 names; environment variables, any case)."""

    registry_backend: Literal["db", "memory"] = "db"
    scpln_db: Path = Field(default=Path("data/scpln.db"),
                           description="The read model's file; SCPLN_DATA_DIR/scpln.db unless set.")
    runs_db_max_rows: int | None = None
    batch_size: int = 500
    fetch_timeout_s: float = 1.0
    apply_linger_s: float = Field(default=0.02, ge=0, description=(
        "How long the live projection gathers a batch that is not full before applying it, unless a reader waits "
        "for the read model to move (0: apply what came at once)."))
    min_seq_wait_s: float = 2.0
    backup_dir: Path | None = None
    backup_every_s: float = 0.0
    backup_keep: int = 7
    wal_checkpoint_every_s: float = Field(default=60.0, ge=0, description=(
        "How often the write-ahead log is checkpointed into the file and truncated (0: only by SQLite's own "
        "automatic checkpoints); a clean stop always does it."))
    object_grace_hours: float = Field(default=24.0, ge=0, description=(
        "How long a stored object nothing needs any more (results of a deleted or dropped run, artifacts of a "
        "plan without runs) is kept before it is removed."))
    object_sweep_s: float = Field(default=300.0, ge=0, description=(
        "How often the registry measures the object store and removes what is due (0: never)."))

    @model_validator(mode="after")
    def _db_in_the_data_dir(self) -> "Settings":
        if "scpln_db" not in self.model_fields_set:
            self.scpln_db = self.scpln_data_dir / "scpln.db"
        return self
