"""What plan_service knows of plan reviews: a fold of its review facts (and of the plans' artifacts),
rebuilt from the log at start-up like the rest of its state. The PSI cells themselves are folded
on demand into a grid (``domain.psi.grid``) from a plan's artifacts and its PSI facts kept here."""

from dataclasses import dataclass, field

from contracts.events import (
    ArtifactRef,
    PlanApproved,
    PlanCreated,
    PlanPsiEdited,
    PlanPsiLocksChanged,
    PlanPsiReconciled,
    PlanPsiWeightsSet,
    PlanRejected,
    PlanReviewOpened,
    PlanRevised,
    PlanSubmitted,
)
from contracts.review import ReviewState

PsiFact = PlanPsiEdited | PlanPsiLocksChanged | PlanPsiReconciled | PlanPsiWeightsSet


@dataclass
class PlanReview:
    plan_version_id: str
    base_scenario_id: str
    source: ArtifactRef
    state: ReviewState = "draft"
    revision: int = 0
    submitted_by: str | None = None
    psi_facts: list[PsiFact] = field(default_factory=list)
    """The plan's PSI facts in log order: its grid is its artifacts with these applied."""
    supply_plans: dict[int, ArtifactRef] = field(default_factory=dict)
    """Revision → its stored supply plan (revision 0: plan_final)."""


@dataclass
class ReviewFold:
    reviews: dict[str, PlanReview] = field(default_factory=dict)
    artifacts: dict[str, dict[str, ArtifactRef]] = field(default_factory=dict)
    """Plan → its pipeline artifacts by name."""
    scenario_of: dict[str, str] = field(default_factory=dict)
    approved: dict[str, str] = field(default_factory=dict)
    """Scenario → its approved plan."""

    def apply(self, event: object) -> None:
        match event:
            case PlanCreated():
                self.artifacts[event.plan_version_id] = {a.name: a for a in event.artifacts}
                self.scenario_of[event.plan_version_id] = event.base_scenario_id
            case PlanReviewOpened():
                self.reviews.setdefault(event.plan_version_id, PlanReview(
                    event.plan_version_id, event.base_scenario_id, event.source, supply_plans={0: event.source}))
            case PlanPsiEdited() | PlanPsiReconciled() | PlanPsiLocksChanged() | PlanPsiWeightsSet():
                if (review := self.reviews.get(event.plan_version_id)) is not None:
                    review.psi_facts.append(event)
                    review.revision = max(review.revision, event.revision)
            case PlanRevised() if event.plan_version_id in self.reviews:
                self.reviews[event.plan_version_id].supply_plans[event.revision] = event.supply_plan
            case PlanSubmitted() if event.plan_version_id in self.reviews:
                review = self.reviews[event.plan_version_id]
                review.state, review.submitted_by = "submitted", event.by
                review.supply_plans[event.revision] = event.supply_plan
            case PlanApproved() if event.plan_version_id in self.reviews:
                self.reviews[event.plan_version_id].state = "approved"
                if event.supersedes in self.reviews:
                    self.reviews[event.supersedes].state = "superseded"  # type: ignore[index]
                self.approved[event.base_scenario_id] = event.plan_version_id
            case PlanRejected() if event.plan_version_id in self.reviews:
                review = self.reviews[event.plan_version_id]
                review.state, review.submitted_by = "draft", None
