"""plan_service's Prometheus metrics (DESIGN §7)."""

from prometheus_client import Counter

from runtime.metrics import JOBS_DURATION

PLANS_CREATED = Counter("plans_created_total", "Plan versions whose planning pipeline succeeded.")
__all__ = ["CONFIGS_IMPORTED", "JOBS_DURATION", "PLANS_CREATED"]
CONFIGS_IMPORTED = Counter("configs_imported_total", "Config documents imported, by outcome.", ["outcome"])
