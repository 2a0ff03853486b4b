"""The options of a plan request: every knob the planning pipeline reads, typed and bounded.

``CreatePlan.options`` is this model, so an unknown key or a value out of range is refused where
the command is decoded (the gateway's 422, plan_service's ``validation_failed``). The events
(``PlanRequested``, ``PlanCreated``) keep ``options`` a plain dict: they record what was asked,
and requests recorded before options were checked may hold keys no pipeline ever read or values
it refused. ``PlanOptions.recorded`` reads such a dict back.
"""

from typing import Any

from pydantic import Field

from contracts.envelope import Contract
from contracts.supply_plan import Execution


class PlanOptions(Contract):
    """How the planning pipeline plans and how the plan's runs execute it; every field may be left out
    (its default applies)."""

    tolerance: float = Field(default=0.01, ge=0, lt=1, allow_inf_nan=False, description=(
        "How far the reconciled weekly plan, summed up per family and period, may differ from the "
        "aggregate plan before the roll-up check reports a deviation: a share of the aggregate "
        "(0.01 = 1%), at least 0 and below 1."))
    ignore_capacity: bool = Field(default=False, description=(
        "Plan as if no capacity limited supply: every family's demand is planned in full (no backlog) "
        "and reconcile spills nothing to later weeks. For a what-if of unconstrained demand."))
    execution: Execution = Field(default="plan", description=(
        "How the plan's runs execute it (the pipeline does not read it): \"plan\" releases production and purchases "
        "as its supply plan says, the inventory policies acting only where it says nothing; \"policy\" replays the "
        "config's inventory policies and leaves the supply plan aside, for comparison."))

    @classmethod
    def recorded(cls, options: dict[str, Any]) -> "PlanOptions":
        """The options of a recorded request (a ``PlanRequested`` or ``PlanCreated`` event): keys
        no pipeline reads are left out, as the pipeline always left them; a value out of range
        raises ``ValidationError`` as it would have failed the plan then."""
        return cls.model_validate({key: value for key, value in options.items() if key in cls.model_fields})
