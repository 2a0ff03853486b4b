"""Commands (imperative requests over core NATS request/reply) and their replies.

A command is validated and answered at once: an accepted reply carrying ids, or an
``ErrorReply`` with a typed code. The work itself then flows as events.
"""

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, StringConstraints, TypeAdapter, ValidationError, field_validator, model_validator

from contracts.envelope import INT64_MAX, Contract
from contracts.events import MAINTENANCE_MESSAGE_MAX, ArtifactRef
from contracts.overrides import Overrides
from contracts.plan_options import PlanOptions
from contracts.queries import RunMeta
from contracts.replications import REPLICATIONS_MAX
from contracts.run_meta import NOTE_MAX, TAGS_MAX, Tag

ErrorCode = Literal[
    "validation_failed", "scenario_not_found", "scenario_locked", "scenario_archived",
    "config_not_found", "config_invalid", "plan_not_found", "run_not_found", "job_not_found",
    "empty_horizon", "not_allowed", "internal_error", "unavailable", "maintenance", "forbidden",
    "storage_full",
]


class ErrorReply(Contract):
    """A command or query was refused. ``error`` is a stable machine-readable code."""

    error: ErrorCode = Field(description="Typed error code.")
    message: str = Field(description="What went wrong, for a person.")
    details: list[dict[str, Any]] = Field(default_factory=list, description="Itemised problems, e.g. validation errors with code, path, message.")


class CreatePlan(Contract):
    """Create a plan version from a base scenario and a canonical config version."""

    base_scenario_id: str = Field(min_length=1, description="Scenario the plan starts from.")
    config_version_id: str = Field(min_length=1, description="Canonical config version to plan with.")
    seed: int = Field(default=42, ge=0, le=INT64_MAX, description="Seed of the simulation.")
    options: PlanOptions = Field(default_factory=PlanOptions, description=(
        "How the pipeline plans; an unknown option or a value out of range is refused."))
    replications: int = Field(default=1, ge=1, le=REPLICATIONS_MAX, description=(
        "How many runs simulate the plan once it is made, each with its own seed derived from ``seed`` "
        "(replication 0 has ``seed`` itself; contracts/replications.py)."))
    requested_by: str = Field(default="planner", description="Who asked.")
    request_id: str | None = Field(default=None, min_length=1, max_length=200, description=(
        "The client's id of this request: asked again with the same id, the answer is the plan it "
        "already made, not a second one (the HTTP API's Idempotency-Key)."))


class PlanAccepted(Contract):
    plan_version_id: str = Field(description="Id of the plan version being created.")
    job_id: str = Field(description="Planning job to follow.")


class RerunPlan(Contract):
    """Simulate an existing plan version again."""

    plan_version_id: str = Field(min_length=1, description="Plan to simulate.")
    seed: int | None = Field(default=None, ge=0, le=INT64_MAX, description=(
        "Seed of the first run (the others derive from it); when omitted, the plan's replications give the seeds."))
    replications: int = Field(default=1, ge=1, le=REPLICATIONS_MAX, description="How many runs, each its own job.")
    reproduce: bool = Field(default=False, description=(
        "Run the plan's replications 0..N-1 again (the plan's seed first: the same results as its first runs) "
        "instead of the next N replications it has not run yet (new seeds). Ignored when ``seed`` is given."))


class JobAccepted(Contract):
    job_id: str = Field(description="Job to follow.")


class RunsAccepted(Contract):
    """Runs of a plan were asked for, a simulation job each."""

    job_id: str = Field(description="The first run's job.")
    job_ids: list[str] = Field(default_factory=list, description=(
        "Every job started, one per run, in replication order (empty from a plan_service older than replications, "
        "which started one run: job_id)."))


DOCUMENT_DEPTH_MAX = 32
"""How deeply a config document may nest (the canonical layout needs about five levels)."""


class ImportConfig(Contract):
    """Import a canonical configuration document (canonical-1.0 layout): in the command, or
    staged in the object store when it is too large for a message."""

    document: dict[str, Any] | None = Field(
        default=None, description=f"The canonical JSON document (nested at most {DOCUMENT_DEPTH_MAX} deep).")
    staged: ArtifactRef | None = Field(default=None, description="The document's JSON in the uploads bucket instead.")

    @model_validator(mode="after")
    def _one_document(self) -> "ImportConfig":
        if (self.document is None) == (self.staged is None):
            raise ValueError("give the document or where it is staged, not both or neither")
        return self

    @field_validator("document")
    @classmethod
    def _not_too_deep(cls, document: dict[str, Any] | None) -> dict[str, Any] | None:
        if document is None:
            return None
        level: list[Any] = [document]
        for _depth in range(DOCUMENT_DEPTH_MAX):
            level = [child for value in level for child in (
                value.values() if isinstance(value, dict) else value if isinstance(value, list) else ())]
            if not level:
                return document
        raise ValueError(f"the document is nested more than {DOCUMENT_DEPTH_MAX} levels deep")


class ConfigImported(Contract):
    config_version_id: str = Field(description="Id of the config version.")
    sha256: str = Field(description="sha256 of the canonical document.")
    created: bool = Field(description="False when an identical document was already a version.")
    warnings: list[dict[str, str]] = Field(default_factory=list, description="Validation warnings.")


ScenarioName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
"""A scenario's display name: surrounding spaces dropped, never blank."""
DESCRIPTION_MAX, TAG_MAX = 10_000, 100


class CreateScenario(Contract):
    name: ScenarioName = Field(description="Display name (surrounding spaces are dropped).")
    description: str = Field(default="", max_length=DESCRIPTION_MAX, description="Free text.")
    tag: str = Field(default="", max_length=TAG_MAX, description="Short label.")
    parent_id: str | None = Field(default=None, description="Scenario this one derives from (None or \"\" for none).")
    overrides: Overrides = Field(default_factory=list, description=(
        "What-ifs applied in order on top of the config when a plan is made (after the parent's): objects with a "
        "type, see contracts/overrides.py and the README."))


class UpdateScenario(Contract):
    """Change an open scenario (a locked or archived one is refused). Fields left None keep
    their value."""

    scenario_id: str = Field(description="Scenario to change.")
    name: ScenarioName | None = Field(default=None, description="New name.")
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX, description="New description.")
    tag: str | None = Field(default=None, max_length=TAG_MAX, description="New tag.")
    parent_id: str | None = Field(default=None, description="New parent; \"\" for none; None keeps the current one.")
    overrides: Overrides | None = Field(default=None, description="The scenario's what-ifs, all of them (a list "
                                                                   "replaces the list); None keeps the current ones.")


class ScenarioAction(Contract):
    """Lock, unlock, archive or unarchive a scenario."""

    scenario_id: str = Field(description="Scenario to act on.")
    by: str = Field(default="planner", description="Who acts.")


class ScenarioAccepted(Contract):
    scenario_id: str = Field(description="Id of the scenario.")


class RequestAggregate(Contract):
    """Aggregate a run's daily results by time bucket and grouping: the run named, or, given a plan version
    alone, that plan's latest succeeded run."""

    run_id: str | None = Field(default=None, min_length=1, description=(
        "Run to aggregate; leave it out to aggregate the latest succeeded run of plan_version_id."))
    plan_version_id: str | None = Field(default=None, min_length=1, description=(
        "With run_id, must be the run's plan; alone, the plan whose latest succeeded run is aggregated."))
    bucket: Literal["day", "week", "month"] = Field(default="week", description="Time bucket.")
    group_by: Literal["item", "family", "node", "region"] = Field(default="item", description="Grouping.")

    @model_validator(mode="after")
    def _names_a_run_or_a_plan(self) -> "RequestAggregate":
        if self.run_id is None and self.plan_version_id is None:
            raise ValueError("give a run_id, or a plan_version_id to aggregate the plan's latest succeeded run")
        return self


class AggregateAccepted(Contract):
    """An aggregate job was accepted, and which run it aggregates."""

    job_id: str = Field(description="Job to follow.")
    run_id: str = Field(description="The run aggregated.")
    plan_version_id: str = Field(description="The run's plan version.")
    latest: bool = Field(default=False, description=(
        "True when the request named a plan version alone and the run is that plan's latest succeeded run."))
    message: str = Field(default="", description="What was aggregated, for a person.")


class CancelJob(Contract):
    """Cancel a job that is still queued; a running or finished job cannot be cancelled."""

    job_id: str = Field(min_length=1, description="Job to cancel.")
    by: str = Field(default="planner", description="Who cancels.")


class RetryJob(Contract):
    """Start a job that did not succeed again, as a new job with the same inputs; a job still
    queued or running is failed as superseded by the new one."""

    job_id: str = Field(min_length=1, description="The job to retry (any state but succeeded).")
    by: str = Field(default="", description="Who retries (the new job is requested by them).")


class DeleteRun(Contract):
    run_id: str = Field(min_length=1, description="Run to delete from the run history.")
    by: str = Field(default="planner", description="Who deletes.")


class RunDeletedReply(Contract):
    run_id: str = Field(description="Id of the deleted run.")


RunMetaAction = Literal["approve", "promote_baseline", "archive", "unarchive", "note", "tags"]


class ChangeRunMeta(Contract):
    """Change a run's governance (the registry checks it and publishes the fact): approve it,
    promote it to its scenario's baseline (approving it first when it is not), archive or
    unarchive it, add a note, add or remove tags. Only a succeeded run is approved or promoted."""

    run_id: str = Field(min_length=1, description="The run.")
    action: RunMetaAction = Field(description="What to change.")
    by: str = Field(min_length=1, max_length=200, description="Who asks: the gateway's signed-in user.")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=NOTE_MAX)] = Field(
        default="", description="The note (Markdown), for action 'note'.")
    add: list[Tag] = Field(default_factory=list, max_length=TAGS_MAX, description="Tags to add (action 'tags').")
    remove: list[Tag] = Field(default_factory=list, max_length=TAGS_MAX, description="Tags to remove (action 'tags').")

    @model_validator(mode="after")
    def _what_the_action_takes(self) -> "ChangeRunMeta":
        if self.action == "note" and not self.note:
            raise ValueError("a note takes text")
        if self.action == "tags" and not (self.add or self.remove):
            raise ValueError("name the tags to add or remove")
        return self


class RunMetaChanged(Contract):
    run_id: str = Field(description="The run.")
    recorded_seq: int | None = Field(default=None, description=(
        "Stream sequence of the last fact recorded; None when the run already was as asked (nothing recorded)."))
    meta: RunMeta = Field(description="The run's governance once the facts are applied.")


class SwapReadModel(Contract):
    """Replace the registry's live database file with a rebuilt or restored one (same machine).

    The live service stops its projection, swaps the file atomically, and resumes from the new
    file's own checkpoint, so nothing after that checkpoint is lost."""

    path: str = Field(min_length=1, description=(
        "Absolute path of the staged database file to swap in: the live file's name plus '.rebuild' or '.restore', "
        "beside it. Any other file (the live one, outside its directory, not a registry database) is refused."))
    reason: Literal["rebuild", "restore"] = Field(default="rebuild", description="rebuild or restore, for the log.")
    by: str = Field(min_length=1, max_length=200, description=(
        "The operator who asks, recorded in the ReadModelReplaced event. Only the bus's operator user may send "
        "this command; the scpln command names them from SCPLN_OPERATOR, else their login."))
    rebuild_seconds: float | None = Field(default=None, ge=0, description="How long the rebuild took, for metrics.")


class ReadModelSwapped(Contract):
    last_seq: int = Field(description="Checkpoint of the database now live.")
    recorded_seq: int | None = Field(default=None, description=(
        "Stream sequence of the ReadModelReplaced event that records the swap; None when it could not be recorded."))


class SetMaintenance(Contract):
    """Switch maintenance mode on, with the message planners see, or off (plan_service answers).
    Asking for the state it is in already records nothing; asking for it on with another
    message changes the message."""

    on: bool = Field(description="True: maintenance on (no new plans, no reruns); False: off.")
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAINTENANCE_MESSAGE_MAX)] = Field(
        default="", description="What planners are told on every page and in each refusal; needed to switch it on.")
    by: str = Field(min_length=1, max_length=200, description=(
        "Who asks, recorded in the event: the gateway's signed-in user, or the scpln command's SCPLN_OPERATOR "
        "(else the login name)."))

    @model_validator(mode="after")
    def _message_to_switch_on(self) -> "SetMaintenance":
        if self.on and not self.message:
            raise ValueError("switching maintenance on takes a message for the planners (what is going on, until when)")
        return self


class MaintenanceStatus(Contract):
    """Maintenance mode as the event log holds it."""

    on: bool = Field(description="True while maintenance is on: no new plans, no reruns.")
    message: str = Field(default="", description="What planners are told; empty when off.")
    since: datetime | None = Field(default=None, description="When it was switched on (or off); None: never switched.")
    by: str = Field(default="", description="Who switched it on (or off).")
    recorded_seq: int | None = Field(default=None, description=(
        "Stream sequence of the fact this command recorded; None when it changed nothing."))


M = TypeVar("M", bound=Contract)


_ERROR: TypeAdapter[ErrorReply] = TypeAdapter(ErrorReply)


def parse_reply(data: bytes, model: type[M]) -> M | ErrorReply:
    """Decode a reply: the expected model, or the ErrorReply the service sent instead. A reply
    that does not start as an ErrorReply does (``{"error":``) is read as the model first: a large
    reply is not read twice, once to fail as an ErrorReply."""
    if data[:9] != b'{"error":':
        try:
            return model.model_validate_json(data)
        except ValidationError as not_the_model:
            try:
                return _ERROR.validate_json(data)
            except ValidationError:
                raise not_the_model from None
    try:
        return _ERROR.validate_json(data)
    except ValidationError:
        return model.model_validate_json(data)
