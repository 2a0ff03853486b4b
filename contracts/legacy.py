"""Run history imported from the original scpln (its RunRegistry SQLite database).

An import publishes the facts this system already has (ScenarioCreated, ConfigVersionCreated,
PlanCreated, RunCompleted, RunApproved, …) with ``producer`` ``LEGACY_PRODUCER``, so the
existing projections show them unchanged; after the facts of one source row it publishes a
``LegacyRowImported`` marker that says where they came from (``imported_from``: the source
file's sha256) and which events they were. No event schema changes: provenance is the marker,
found by the facts' event ids. A second import folds the markers and skips the rows they name.

Two original databases do not share one id space: the ids an import gives the original's integer
ids, and the event ids of its facts, are namespaced by the database's ``source`` key (derived from
rows of the database that never change, or named by the operator), which stays the same when the
same database is imported again after it grew.
"""

from typing import Any, Literal

from pydantic import Field

from contracts.envelope import Envelope, schema_version_field
from contracts.upcast import upcaster

LEGACY_PRODUCER = "scpln-legacy-import"
"""``producer`` of every fact an import publishes. The simulator does not simulate a
PlanCreated of this producer: the original already ran it, its runs are imported."""

IMPORTED_TAG = "imported"
"""Tag of every imported run (a RunTagsChanged after its RunCompleted)."""
LEGACY_RUN_TAG = "legacy-run"
"""Tag of an imported run that had no plan (the original's retired scenario-run path)."""
NO_PLAN = "legacy-no-plan"
"""``plan_version_id`` of an imported run that had no plan."""


def scenario_id_of(source: str, legacy_id: object) -> str:
    """The id here of the original's scenario ``legacy_id`` imported from ``source`` (also of a
    scenario the original deleted that its runs still name)."""
    return f"legacy-{source}-scenario-{legacy_id}" if source else f"legacy-scenario-{legacy_id}"


def config_version_id_of(source: str, legacy_id: object) -> str:
    """The id here of the original's config version ``legacy_id`` imported from ``source``."""
    return f"legacy-{source}-config-{legacy_id}" if source else f"legacy-config-{legacy_id}"


class LegacyRowImported(Envelope):
    """The facts of one row of an original scpln database were published."""

    event_type: Literal["LegacyRowImported"] = "LegacyRowImported"
    schema_version: int = schema_version_field(2)
    source: str = Field(description=(
        "Key of the source database: the namespace of the ids and event ids its rows were given here. The same "
        "database keeps its key as it grows; \"\" for rows imported before sources were told apart."))
    imported_from: str = Field(description="sha256 of the source database file.")
    source_file: str = Field(description="Name of the source file (no directory).")
    table: str = Field(description="Source table: scenarios, canonical_config_versions, plan_versions, runs, "
                                   "runs_meta.")
    source_key: str = Field(description="The row's key in that table (its id, version_id or run_id).")
    ids: dict[str, str] = Field(default_factory=dict, description=(
        "Ids the row has here, by kind (scenario_id, config_version_id, plan_version_id, run_id)."))
    event_ids: list[str] = Field(default_factory=list, description="The facts published for the row, in order.")


@upcaster("LegacyRowImported", 1)
def legacy_row_imported_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 → 2: rows imported before sources were told apart are of the empty source (their ids
    were ``legacy-scenario-<n>``, ``legacy-config-<n>``)."""
    return {**raw, "schema_version": 2, "source": ""}


LEGACY_EVENTS: tuple[type[Envelope], ...] = (LegacyRowImported,)
