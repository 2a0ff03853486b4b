from pathlib import Path

from pydantic import Field

from runtime.settings import CommonSettings

REPO_SAMPLES = Path(__file__).resolve().parents[2] / "samples"


class Settings(CommonSettings):
    """plan_service settings (environment variables of the same names, any case)."""

    load_samples: bool = True
    samples_dir: Path = REPO_SAMPLES
    stream_max_bytes: int = 50 * 1024**3
    stream_replicas: int = Field(default=1, ge=1, le=5)
    """Copies of the event log a JetStream cluster keeps (3 with deploy/nats-cluster.conf)."""
    planning_deadline_s: float = Field(default=600.0, ge=0)
    """A planning job with no progress for this long is failed (0: never)."""
    aggregate_deadline_s: float = Field(default=600.0, ge=0)
    """An aggregate job with no progress for this long is failed (0: never)."""
    planning_ack_wait_s: float = Field(default=30.0, gt=0)
    """A plan request taken by a replica that stops signalling progress on it (it died) is given to
    another after this long; a replica planning it says so every third of it."""
    planning_max_deliver: int = Field(default=5, ge=2)
    """How many times a plan request is taken at most: the last time, its job fails saying why."""
    planning_concurrency: int = Field(default=4, ge=1)
    """Plan requests a replica takes at once (one fetch) and plans side by side."""
    deadline_check_s: float = Field(default=30.0, gt=0)
    """How often the deadlines of its jobs are checked."""
    scpln_allow_self_approval: bool = False
    """1: an approver may approve or reject a plan they submitted themselves (plan review)."""
