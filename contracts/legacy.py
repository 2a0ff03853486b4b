"""Run history imported from the original scpln (its RunRegistry SQLite database).

An import publishes the facts this system already has (ScenarioCreated, ConfigVersionCreated,
PlanCreated, RunCompleted, RunApproved, …) with ``producer`` ``LEGACY_PRODUCER``, so the
existing projections show them unchanged; after the facts of one source row it publishes a
``LegacyRowImported`` marker that says where they came from (``imported_from``: the source
file's sha256) and which events they were. No event schema changes: provenance is the marker,
found by the facts' event ids. A second import folds the markers and skips the rows they name.
"""

from typing import Literal

from pydantic import Field

from contracts.envelope import Envelope

LEGACY_PRODUCER = "scpln-legacy-import"
"""``producer`` of every fact an import publishes. The simulator does not simulate a
PlanCreated of this producer: the original already ran it, its runs are imported."""

IMPORTED_TAG = "imported"
"""Tag of every imported run (a RunTagsChanged after its RunCompleted)."""
LEGACY_RUN_TAG = "legacy-run"
"""Tag of an imported run that had no plan (the original's retired scenario-run path)."""
NO_PLAN = "legacy-no-plan"
"""``plan_version_id`` of an imported run that had no plan."""


class LegacyRowImported(Envelope):
    """The facts of one row of an original scpln database were published."""

    event_type: Literal["LegacyRowImported"] = "LegacyRowImported"
    imported_from: str = Field(description="sha256 of the source database file.")
    source_file: str = Field(description="Name of the source file (no directory).")
    table: str = Field(description="Source table: scenarios, canonical_config_versions, plan_versions, runs, "
                                   "runs_meta.")
    source_key: str = Field(description="The row's key in that table (its id, version_id or run_id).")
    ids: dict[str, str] = Field(default_factory=dict, description=(
        "Ids the row has here, by kind (scenario_id, config_version_id, plan_version_id, run_id)."))
    event_ids: list[str] = Field(default_factory=list, description="The facts published for the row, in order.")


LEGACY_EVENTS: tuple[type[Envelope], ...] = (LegacyRowImported,)
