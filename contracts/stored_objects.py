"""Stored objects that were removed: the run registry's record of what it took out of the object
store, and why.

The registry decides which stored documents no run or plan needs any more (results and
aggregates of runs deleted or dropped by retention, the artifacts of a plan that has no run
left) and, after a grace period (``OBJECT_GRACE_HOURS``), removes them and records it here.
"""

from typing import Literal

from pydantic import Field

from contracts.envelope import Contract, Envelope

OBJECTS_PER_FACT_MAX = 200
"""Most objects one ``StoredObjectsDeleted`` names."""
Reason = Literal["run_deleted", "run_dropped", "plan_without_runs"]


class StoredObject(Contract):
    bucket: str = Field(description="Object store bucket.")
    key: str = Field(description="The object's key (name) in the bucket.")
    reason: Reason = Field(description=(
        "Why nothing needs it any more: its run was deleted (run_deleted) or dropped by retention "
        "(run_dropped), or it is an artifact of a plan that has no run left (plan_without_runs)."))
    run_id: str | None = Field(default=None, description="The run it belonged to, for a run's results and aggregates.")
    plan_version_id: str | None = Field(default=None, description="The plan it belonged to.")


class StoredObjectsDeleted(Envelope):
    """The run registry removed these documents from the object store, a grace period after
    nothing needed them any more. An object that was gone already is named too: afterwards it
    is not there, whoever removed it."""

    event_type: Literal["StoredObjectsDeleted"] = "StoredObjectsDeleted"
    objects: list[StoredObject] = Field(min_length=1, max_length=OBJECTS_PER_FACT_MAX,
                                        description="The objects removed, each with why.")
    grace_hours: float = Field(ge=0, description="The grace period they were kept for (OBJECT_GRACE_HOURS).")


STORED_OBJECT_EVENTS: tuple[type[Envelope], ...] = (StoredObjectsDeleted,)
