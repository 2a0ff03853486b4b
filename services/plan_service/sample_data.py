"""Sample data on first start: three config versions and three scenarios, one of them locked,
so a new user can create a plan at once and see the lock rule."""

import json
import logging
from pathlib import Path

from contracts.commands import CreateScenario, ImportConfig, ScenarioAction
from services.plan_service.configs import import_config
from services.plan_service.ports import Ports
from services.plan_service.scenarios import create_scenario, lock_scenario

log = logging.getLogger("plan_service.samples")

SAMPLE_CONFIGS = ("small.json", "medium.json", "large.json")
SAMPLE_SCENARIOS = (
    ("scn_baseline", "Baseline", "Current network and demand as planned.", "baseline", None),
    ("scn_peak_season", "Peak season", "Higher demand in the peak months.", "what-if", None),
    ("scn_budget_2025", "Budget 2025", "The approved budget plan; locked for audit.", "approved", "planning-lead"),
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
        reply = await import_config(ImportConfig(document=json.loads(path.read_text())), ports)
        log.info("sample config %s: %s", name, reply.model_dump_json())
    for sid, name, description, tag, locked_by in SAMPLE_SCENARIOS:
        await create_scenario(CreateScenario(name=name, description=description, tag=tag), ports, scenario_id=sid)
        if locked_by:
            await lock_scenario(ScenarioAction(scenario_id=sid, by=locked_by), ports)
    log.info("sample data loaded: %d configs, %d scenarios", len(ports.state.configs), len(ports.state.scenarios))
