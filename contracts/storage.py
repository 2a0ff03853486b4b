"""Whether a service can store what it must: the report each service sends every few seconds
on ``scpln.status.storage.<service>`` (core NATS, not stored: it must get through when the
disk is full), read by the gateway's ``/healthz`` and the registry's status."""

from datetime import datetime

from pydantic import Field

from contracts.envelope import Contract


class StorageStatus(Contract):
    service: str = Field(description="Who reports.")
    data_dir: str = Field(description="The service's data directory (the event log's, under scpln up).")
    free_bytes: int = Field(description="Free space of the data directory, in bytes (-1: unknown).")
    total_bytes: int = Field(description="Size of the data directory's file system, in bytes.")
    reserve_bytes: int = Field(description=(
        "Below this much free space new work is refused (507): what is left is for the work already accepted."))
    writes_failing: bool = Field(description="The service's last write (event log, object store, its database) failed.")
    failing_since: datetime | None = Field(default=None, description="When its writes began to fail.")
    last_write_error: str | None = Field(default=None, description="Why its last failed write failed.")
    last_write_error_at: datetime | None = Field(default=None, description="When.")
    reported_at: datetime = Field(description="When the report was made.")

    @property
    def low_on_space(self) -> bool:
        return 0 <= self.free_bytes < self.reserve_bytes

    def trouble(self) -> str | None:
        """What is wrong, for a person; None when nothing is."""
        if self.writes_failing:
            return f"{self.service}: writes fail since {self.failing_since:%H:%M:%S} UTC: {self.last_write_error}"
        if self.low_on_space:
            return (f"{self.service}: {megabytes(self.free_bytes)} free in {self.data_dir}, below the reserve of "
                    f"{megabytes(self.reserve_bytes)}: new work is refused")
        return None


def megabytes(n: int) -> str:
    return f"{n / 2**20:.1f} MB"
