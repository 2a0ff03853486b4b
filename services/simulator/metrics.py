"""simulator's Prometheus metrics."""

from prometheus_client import Counter

from runtime.metrics import JOBS_DURATION

SIMULATION_SECONDS = JOBS_DURATION.labels("simulation")
RUNS_FAILED = Counter("runs_failed_total", "Simulations that ended in RunFailed.")
