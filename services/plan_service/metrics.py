"""plan_service's Prometheus metrics (DESIGN §7)."""

from prometheus_client import Counter, Histogram

PLANS_CREATED = Counter("plans_created_total", "Plan versions whose planning pipeline succeeded.")
JOBS_DURATION = Histogram(
    "jobs_duration_seconds", "Wall time of jobs by type.", ["type"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CONFIGS_IMPORTED = Counter("configs_imported_total", "Config documents imported, by outcome.", ["outcome"])
