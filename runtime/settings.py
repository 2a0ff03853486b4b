"""Settings every SCPLN service shares; each service extends this with its own fields."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    nats_url: str = "nats://127.0.0.1:4222"
    scpln_data_dir: Path = Path("data")
    log_level: str = "INFO"
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    connect_retry_max_s: float = 5.0
    scpln_disk_reserve_mb: float = Field(default=256.0, ge=0)
    """Below this much free space in the data directory new work is refused (507): what is left
    is for the work already accepted (``runtime.storage``)."""
    nats_monitor_url: str = ""
    """nats-server's monitoring endpoint (``scpln up`` sets it): asked why a write went unanswered."""

    @property
    def data_dir(self) -> Path:
        return self.scpln_data_dir
