"""Two plan_service replicas on one (in-memory) log: a replica that decided on an older state has
its write refused, catches up and decides again, so a fact about one aggregate is stored once."""

from contracts.commands import CreatePlan, CreateScenario, PlanAccepted, ScenarioAccepted, ScenarioAction
from contracts.events import ArtifactRef, ConfigVersionCreated, aggregate_filter_for
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service.following import decided_again
from services.plan_service.plans import create_plan
from services.plan_service.ports import Ports
from services.plan_service.scenarios import create_scenario, lock_scenario
from services.plan_service.state import PlanServiceState


class LogFollower:
    """A replica's follower of the fake log: it folds what is stored only when asked to reach it."""

    def __init__(self, log: InMemoryPublisher, state: PlanServiceState) -> None:
        self.log, self.state, self.position = log, state, 0

    async def reached(self, seq: int, timeout: float = 0) -> bool:
        while self.position < min(seq, len(self.log.events)):
            event = self.log.events[self.position]
            self.position += 1
            self.state.apply(event)
            if (aggregate := aggregate_filter_for(event)) is not None:
                self.state.positions[aggregate] = self.position
        return self.position >= seq


def replica(log: InMemoryPublisher) -> Ports:
    state = PlanServiceState()
    return Ports(publisher=log, objects=InMemoryObjectStore(), state=state, follower=LogFollower(log, state),
                 spawn=lambda coro: coro.close())


async def test_a_replica_behind_the_log_decides_again_and_stores_no_second_lock_or_plan_request():
    log = InMemoryPublisher()
    a, b = replica(log), replica(log)
    config = ArtifactRef(name="config", bucket="scpln-configs", key="cfg_1.json", sha256="0" * 64, size=1)
    await a.record(ConfigVersionCreated(correlation_id="cfg_1", producer="test", config_version_id="cfg_1",
                                        name="small", sha256="0" * 64, document=config, planning_days=30, counts={}))
    await decided_again(create_scenario, CreateScenario(name="Base"), ports=a, scenario_id="scn_1")
    await b.follower.reached(len(log.events))  # type: ignore[union-attr]

    assert isinstance(await decided_again(lock_scenario, ScenarioAction(scenario_id="scn_1", by="ann"), ports=a),
                      ScenarioAccepted)
    assert b.state.scenarios["scn_1"].locked_by is None  # b has not seen the lock when it is asked too
    assert isinstance(await decided_again(lock_scenario, ScenarioAction(scenario_id="scn_1", by="bob"), ports=b),
                      ScenarioAccepted)
    assert len(log.of_type("ScenarioLocked")) == 1 and b.state.scenarios["scn_1"].locked_by == "ann"

    await decided_again(create_scenario, CreateScenario(name="Open"), ports=a, scenario_id="scn_2")
    request = CreatePlan(base_scenario_id="scn_2", config_version_id="cfg_1", request_id="order-1")
    first = await decided_again(create_plan, request, ports=a)
    await b.follower.reached(log.last_seq("scpln.events.scenario.>"))  # type: ignore[union-attr]
    again = await decided_again(create_plan, request, ports=b)  # b has not seen a's plan request
    assert isinstance(first, PlanAccepted) and again == first
    assert len(log.of_type("PlanRequested")) == 1
