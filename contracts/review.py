"""Plan review: its states, who may move a plan between them, and the commands plan_service
answers for it (``scpln.cmd.plan.psi_*`` and ``scpln.cmd.plan.review``).

A plan is a ``draft`` once planned: planners edit its PSI and submit it; an approver approves it
(the scenario's plan approved before becomes ``superseded``) or rejects it with a reason, which
makes it a draft again. Only a draft can be edited; an approved plan is immutable. Nobody
approves or rejects their own submission unless ``SCPLN_ALLOW_SELF_APPROVAL=1``.
"""

from typing import Literal

from pydantic import Field

from contracts.envelope import Contract
from contracts.events import ArtifactRef
from contracts.identity import ROLES, Role
from contracts.psi import Level, LockMode, Measure, PsiCell, PsiDistribution, PsiRounding, PsiWeight, Quantity

ReviewState = Literal["draft", "submitted", "approved", "superseded"]
ReviewAction = Literal["edit", "submit", "approve", "reject"]
Transition = Literal["submit", "approve", "reject"]
LEAST_ROLE: dict[ReviewAction, Role] = {"edit": "planner", "submit": "planner", "approve": "approver",
                                        "reject": "approver"}
"""The least role of each action (the gateway's permissions plans.edit, plans.submit, plans.approve)."""
ACTIONS_IN: dict[ReviewState, tuple[ReviewAction, ...]] = {
    "draft": ("edit", "submit"), "submitted": ("approve", "reject"), "approved": (), "superseded": ()}
NEXT_STATE: dict[Transition, ReviewState] = {"submit": "submitted", "approve": "approved", "reject": "draft"}
NOTE_MAX = 2000


def refusal(action: ReviewAction, state: ReviewState, role: str, actor: str, submitted_by: str | None,
            allow_self_approval: bool) -> tuple[Literal["forbidden", "not_allowed"], str] | None:
    """Why ``actor`` (of ``role``) may not ``action`` a plan in ``state``: (error code, message);
    None when they may."""
    least = LEAST_ROLE[action]
    if role not in ROLES or ROLES.index(role) < ROLES.index(least):  # type: ignore[arg-type]
        return "forbidden", f"to {action} a plan takes the role {least} or above (yours: {role})"
    if action not in ACTIONS_IN[state]:
        if action == "edit":
            return "not_allowed", f"the plan is {state}: only a draft can be edited"
        return "not_allowed", f"the plan is {state}: it can be {' or '.join(ACTIONS_IN[state]) or 'nothing more'}"
    if action in ("approve", "reject") and actor == submitted_by and not allow_self_approval:
        return "forbidden", (f"{actor} submitted this plan: another approver decides on it "
                             "(SCPLN_ALLOW_SELF_APPROVAL=1 allows it)")
    return None


def allowed_actions(state: ReviewState, role: str, actor: str, submitted_by: str | None,
                    allow_self_approval: bool) -> list[ReviewAction]:
    return [a for a in ACTIONS_IN[state] if refusal(a, state, role, actor, submitted_by, allow_self_approval) is None]


class PsiCommand(Contract):
    plan_version_id: str = Field(min_length=1, description="The plan under review.")
    by: str = Field(min_length=1, max_length=200, description="Who asks: the signed-in user.")
    role: Role = Field(description="Their role; plan_service checks it against the action (LEAST_ROLE).")
    note: str = Field(default="", max_length=NOTE_MAX, description="Why: kept with the fact in the audit trail.")


class OpenPsi(Contract):
    """Make the PSI of a plan planned before plan review existed (the pipeline's plan_final)."""

    plan_version_id: str = Field(min_length=1)
    by: str = Field(min_length=1, max_length=200)


class PsiEditCell(PsiCell):
    value: Quantity | None = Field(description="The new value; None: back to the pipeline's value.")


class EditPsi(PsiCommand):
    """Set cells of one level (locked cells are skipped), then lock or unlock cells."""

    level: Level
    cells: list[PsiEditCell] = Field(default_factory=list, max_length=20_000)
    lock: LockMode | None = Field(default=None, description="Lock, unlock or toggle the edited rows and lock_cells.")
    lock_cells: list[PsiCell] = Field(default_factory=list, max_length=20_000)
    distribution: PsiDistribution = Field(default_factory=PsiDistribution)
    auto: bool = Field(default=True, description=(
        "Aggregate edits are distributed to the detail below them; detail edits roll up into their unlocked "
        "aggregate cells. False (the original's no_auto): the other level stays as it is until a reconcile."))


class ReconcilePsi(PsiCommand):
    """Make the levels agree: where an aggregate cell is locked, its unlocked detail cells are rebalanced to its
    value; elsewhere the aggregate cell becomes the sum of its detail."""

    rounding: dict[Measure, PsiRounding] = Field(default_factory=dict)
    family: str | None = Field(default=None, description="Only this family's cells.")


class SetPsiWeights(PsiCommand):
    weights: list[PsiWeight] = Field(min_length=1, max_length=100_000)


class ReviewPlan(PsiCommand):
    """Submit, approve or reject (the note is the reason, needed to reject)."""

    action: Transition


class PsiOpened(Contract):
    plan_version_id: str
    recorded_seq: int | None = Field(default=None, description="Sequence of the facts recorded; None: already open.")


class PsiEdited(Contract):
    updated: int = Field(description="Cells set (locked ones are skipped).")
    skipped: list[str] = Field(default_factory=list, description="Keys of the locked cells left as they were.")
    locked: list[str] = Field(default_factory=list, description="Keys of every locked cell of the level now.")
    distributed: int = Field(default=0, description="Detail cells an aggregate edit changed.")
    rolled_up: int = Field(default=0, description="Aggregate cells detail edits changed.")
    revision: int = Field(description="The plan's revision now.")
    recorded_seq: int | None = Field(default=None, description="Sequence of the last fact recorded; None: none.")


class PsiReconciled(Contract):
    ok: bool = True
    groups: int = Field(description="Aggregate cells whose detail disagreed with them.")
    cells: int = Field(description="Cells changed.")
    revision: int
    recorded_seq: int | None = None


class PsiWeightsSet(Contract):
    ok: bool = True
    count: int
    recorded_seq: int | None = None


class ReviewDecided(Contract):
    ok: bool = True
    status: ReviewState
    revision: int
    supersedes: str | None = Field(default=None, description="The scenario's plan an approval superseded.")
    supply_plan: ArtifactRef | None = Field(default=None, description="The supply plan of the revision decided on.")
    recorded_seq: int | None = None
