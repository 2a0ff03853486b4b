"""Sample data on first start: three config versions and three scenarios, one of them locked,
so a new user can create a plan at once and see the lock rule. "Peak season" holds what-ifs
every sample config takes (dates and a family they all have), so its plans and runs differ
from Baseline's out of the box."""

import json
import logging
from pathlib import Path

from contracts.commands import CreateScenario, ImportConfig, ScenarioAction
from services.plan_service.configs import import_config
from services.plan_service.following import decided_again
from services.plan_service.ports import Ports
from services.plan_service.scenarios import create_scenario, lock_scenario

log = logging.getLogger("plan_service.samples")

SAMPLE_CONFIGS = ("small.json", "medium.json", "large.json")
PEAK_SEASON = (
    {"type": "demand_scale", "factor": 1.3, "from": "2025-02-01", "to": "2025-03-31"},
    {"type": "demand_scale", "factor": 1.25, "from": "2025-11-01", "to": "2025-12-31"},
    {"type": "demand_scale", "factor": 1.1, "family": "FAM1"},
)
"""+30 % in February and March, +25 % in November and December, and FAM1 +10 % all year."""
SAMPLE_SCENARIOS = (
    ("scn_baseline", "Baseline", "Current network and demand as planned.", "baseline", None, ()),
    ("scn_peak_season", "Peak season", ("Higher demand in the peak months: +30 % in February and March, +25 % in "
                                        "November and December, and family FAM1 +10 % all year."), "what-if", None,
     PEAK_SEASON),
    ("scn_budget_2025", "Budget 2025", "The approved budget plan; locked for audit.", "approved", "planning-lead", ()),
)


async def load_samples(ports: Ports, samples_dir: Path) -> None:
    """Idempotent: does nothing once any scenario or config exists."""
    if ports.state.scenarios or ports.state.configs:
        return
    for name in SAMPLE_CONFIGS:
        path = samples_dir / name
        if not path.exists():
            log.warning("sample %s missing", path)
            continue
        reply = await decided_again(import_config, ImportConfig(document=json.loads(path.read_text())), ports=ports)
        log.info("sample config %s: %s", name, reply.model_dump_json())
    for sid, name, description, tag, locked_by, overrides in SAMPLE_SCENARIOS:
        command = CreateScenario(name=name, description=description, tag=tag, overrides=list(overrides))
        await decided_again(create_scenario, command, ports=ports, scenario_id=sid)  # another replica may load them too
        if locked_by:
            await decided_again(lock_scenario, ScenarioAction(scenario_id=sid, by=locked_by), ports=ports)
    log.info("sample data loaded: %d configs, %d scenarios", len(ports.state.configs), len(ports.state.scenarios))
