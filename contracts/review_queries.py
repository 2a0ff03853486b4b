"""Queries on a plan's review, answered by the run registry from its projection of the log
(``scpln.qry.registry.psi.*``): the PSI grid, the review state, the audit trail, the weights.
Rows keep the original scpln's field names."""

from datetime import datetime
from typing import Any

from pydantic import Field

from contracts.envelope import INT64_MAX, Contract
from contracts.events import ArtifactRef
from contracts.psi import Level, PsiWeight
from contracts.queries import Consistency, PlanStatus, ReadModelPosition
from contracts.review import ReviewState

GRID_LIMIT_MAX = 10_000


class GetPsi(Consistency):
    plan_version_id: str
    level: Level = "aggregate"
    q: str | None = Field(default=None, max_length=200, description="Rows whose period, week, family or SKU "
                                                                    "contains this (any case).")
    limit: int = Field(default=200, ge=1, le=GRID_LIMIT_MAX)
    offset: int = Field(default=0, ge=0, le=INT64_MAX)


class PsiPage(ReadModelPosition):
    plan_version_id: str
    level: Level
    opened: bool = Field(description="False: the plan has no PSI in the log yet (planned before plan review, or "
                                     "not planned); rows is empty.")
    plan_status: PlanStatus | None = Field(default=None, description="The plan's status; None when unknown.")
    state: ReviewState = "draft"
    revision: int = 0
    total: int = 0
    rows: list[dict[str, Any]] = Field(default_factory=list, description=(
        "aggregate: period, family, demand, supply, backlog; det: week, sku, family, period, demand, supply_plan, "
        "backlog, on_hand_start, on_hand_end. Each with original (the pipeline's values), edited and locked (the "
        "fields edited or locked); aggregate rows with detail (the sums of the detail below them)."))
    locks: list[str] = Field(default_factory=list, description="Every locked row or cell of the level, by key.")


class GetPsiState(Consistency):
    plan_version_id: str


class PlanRevisionRow(Contract):
    revision: int
    supply_plan: ArtifactRef
    at: datetime


class PsiStateReply(ReadModelPosition):
    plan_version_id: str
    opened: bool
    plan_status: PlanStatus | None = None
    base_scenario_id: str | None = None
    state: ReviewState = "draft"
    revision: int = 0
    last_decision: str | None = Field(default=None, description="submitted, approved or rejected: the last move.")
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    submitted_note: str = ""
    approved_by: str | None = None
    approved_at: datetime | None = None
    rejected_by: str | None = None
    rejected_at: datetime | None = None
    reason: str = Field(default="", description="Why it was rejected (or the approver's note).")
    superseded_by: str | None = None
    superseded_at: datetime | None = None
    disagreements: int = Field(default=0, description="Aggregate cells whose detail sums to another value.")
    revisions: list[PlanRevisionRow] = Field(default_factory=list, description="Supply plans stored per revision.")
    run_revisions: dict[str, int] = Field(default_factory=dict, description="The plan's runs: the revision each simulated.")


class GetPsiAudit(Consistency):
    plan_version_id: str
    level: Level | None = None
    q: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=200, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=INT64_MAX)


class PsiAuditEntry(Contract):
    event_id: int = Field(description="The fact's stream sequence.")
    event_type: str = Field(description="open, edit, lock, unlock, reconcile, weight, submit, approve, reject, revise.")
    display_event: str
    timestamp: int = Field(description="When, in milliseconds since the epoch (UTC).")
    display_time: str
    actor: str
    notes: str = ""
    level: str | None = None
    revision: int
    key_hash: str | None = Field(default=None, description="The first cell or row it touched.")
    key_display: str = ""
    payload: dict[str, Any] = Field(default_factory=dict)
    payload_preview: str = ""


class PsiAudit(ReadModelPosition):
    plan_version_id: str
    total: int
    events: list[PsiAuditEntry]


class GetPsiWeights(Consistency):
    plan_version_id: str


class PsiWeightsPage(ReadModelPosition):
    plan_version_id: str
    rows: list[PsiWeight]
