from pydantic import Field

from runtime.settings import CommonSettings


class Settings(CommonSettings):
    """simulator settings (environment variables of the same names, any case)."""

    scpln_skip_simulation_api: bool = False
    ack_wait_s: float = 60.0
    max_deliver: int = 5
    worker_name: str = "simulator"
    max_concurrent_runs: int = Field(default=2, ge=1)
    """Triggers pulled at once (one fetch of up to this many) and simulated side by side; the
    next fetch comes when they are all done."""
    progress_interval_s: float = Field(default=0.5, gt=0)
    """A run publishes its progress at most once per this many seconds (its first and final
    states always)."""
    simulation_deadline_s: float = Field(default=900.0, ge=0)
    """A simulation job with no progress for this long is failed (0: never)."""
    deadline_check_s: float = Field(default=30.0, gt=0)
    """How often the deadlines of simulation jobs are checked."""
