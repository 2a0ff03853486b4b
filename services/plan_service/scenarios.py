"""Scenario commands: create, update, lock, unlock, archive. Each change is an event."""

from collections.abc import Callable

from contracts.commands import CreateScenario, ErrorReply, ScenarioAccepted, ScenarioAction, UpdateScenario
from contracts.envelope import Envelope
from contracts.events import (
    ScenarioArchived,
    ScenarioCreated,
    ScenarioLocked,
    ScenarioUnarchived,
    ScenarioUnlocked,
    ScenarioUpdated,
)
from services.plan_service import ids
from services.plan_service.ports import PRODUCER, Ports
from services.plan_service.state import Scenario


def _missing(scenario_id: str) -> ErrorReply:
    return ErrorReply(error="scenario_not_found", message=f"scenario {scenario_id} does not exist")


async def create_scenario(cmd: CreateScenario, ports: Ports, *, scenario_id: str | None = None) -> ScenarioAccepted | ErrorReply:
    if scenario_id is not None and scenario_id in ports.state.scenarios:
        return ScenarioAccepted(scenario_id=scenario_id)  # a scenario of a given id is created once
    parent = cmd.parent_id or None
    if parent is not None and parent not in ports.state.scenarios:
        return _missing(parent)
    sid = scenario_id or ids.new_id("scn")
    await ports.record(ScenarioCreated(
        event_id=ids.stable_event_id("scenario", sid), correlation_id=sid, producer=PRODUCER,
        scenario_id=sid, name=cmd.name, description=cmd.description, tag=cmd.tag, parent_id=parent,
        overrides=cmd.overrides,
    ))
    return ScenarioAccepted(scenario_id=sid)


async def update_scenario(cmd: UpdateScenario, ports: Ports) -> ScenarioAccepted | ErrorReply:
    """Change an open scenario. A locked one is frozen for audit and an archived one retired:
    both are refused. The parent must be another existing scenario that does not derive from
    this one."""
    current = ports.state.scenarios.get(cmd.scenario_id)
    if current is None:
        return _missing(cmd.scenario_id)
    if current.locked_by is not None:
        return ErrorReply(error="scenario_locked",
                          message=f"scenario {current.name!r} is locked by {current.locked_by}: unlock it to edit it")
    if current.archived:
        return ErrorReply(error="scenario_archived", message=f"scenario {current.name!r} is archived")
    parent = current.parent_id if cmd.parent_id is None else cmd.parent_id or None
    if parent is not None and parent != current.parent_id and (problem := _parent_problem(ports, cmd.scenario_id, parent)):
        return ErrorReply(error="validation_failed", message=problem)
    await ports.record(ScenarioUpdated(
        correlation_id=cmd.scenario_id, producer=PRODUCER, scenario_id=cmd.scenario_id,
        name=cmd.name if cmd.name is not None else current.name,
        description=cmd.description if cmd.description is not None else current.description,
        tag=cmd.tag if cmd.tag is not None else current.tag,
        parent_id=parent, overrides=list(current.overrides if cmd.overrides is None else cmd.overrides),
    ))
    return ScenarioAccepted(scenario_id=cmd.scenario_id)


def _parent_problem(ports: Ports, scenario_id: str, parent: str) -> str | None:
    """Why ``parent`` cannot be the parent of ``scenario_id``, or None."""
    if parent not in ports.state.scenarios:
        return f"parent {parent} is not an existing scenario"
    ancestor: str | None = parent
    seen: set[str] = set()
    while ancestor is not None and ancestor not in seen:
        if ancestor == scenario_id:
            return f"{parent} derives from {scenario_id}: a scenario cannot derive from itself"
        seen.add(ancestor)
        found = ports.state.scenarios.get(ancestor)
        ancestor = found.parent_id if found is not None else None
    return None


async def _act(cmd: ScenarioAction, ports: Ports, applies: Callable[[Scenario], bool],
               event: Callable[[], Envelope]) -> ScenarioAccepted | ErrorReply:
    """Record ``event()`` when the scenario exists and ``applies`` (acting twice is a no-op)."""
    current = ports.state.scenarios.get(cmd.scenario_id)
    if current is None:
        return _missing(cmd.scenario_id)
    if applies(current):
        await ports.record(event())
    return ScenarioAccepted(scenario_id=cmd.scenario_id)


async def lock_scenario(cmd: ScenarioAction, ports: Ports) -> ScenarioAccepted | ErrorReply:
    return await _act(cmd, ports, lambda s: s.locked_by is None, lambda: ScenarioLocked(
        correlation_id=cmd.scenario_id, producer=PRODUCER, scenario_id=cmd.scenario_id, locked_by=cmd.by))


async def unlock_scenario(cmd: ScenarioAction, ports: Ports) -> ScenarioAccepted | ErrorReply:
    return await _act(cmd, ports, lambda s: s.locked_by is not None, lambda: ScenarioUnlocked(
        correlation_id=cmd.scenario_id, producer=PRODUCER, scenario_id=cmd.scenario_id, unlocked_by=cmd.by))


async def archive_scenario(cmd: ScenarioAction, ports: Ports) -> ScenarioAccepted | ErrorReply:
    return await _act(cmd, ports, lambda s: not s.archived, lambda: ScenarioArchived(
        correlation_id=cmd.scenario_id, producer=PRODUCER, scenario_id=cmd.scenario_id, archived_by=cmd.by))


async def unarchive_scenario(cmd: ScenarioAction, ports: Ports) -> ScenarioAccepted | ErrorReply:
    return await _act(cmd, ports, lambda s: s.archived, lambda: ScenarioUnarchived(
        correlation_id=cmd.scenario_id, producer=PRODUCER, scenario_id=cmd.scenario_id, unarchived_by=cmd.by))


def refusal(scenario: Scenario | None, scenario_id: str) -> ErrorReply | None:
    """Why no plan may be made from this scenario, or None when one may."""
    if scenario is None:
        return _missing(scenario_id)
    if scenario.archived:
        return ErrorReply(error="scenario_archived", message=f"scenario {scenario.name!r} is archived")
    if scenario.locked_by is not None:
        when = scenario.locked_at.isoformat(timespec="seconds") if scenario.locked_at else "an unknown time"
        return ErrorReply(error="scenario_locked",
                          message=f"scenario {scenario.name!r} was locked by {scenario.locked_by} at {when}",
                          details=[{"locked_by": scenario.locked_by, "locked_at": when}])
    return None
