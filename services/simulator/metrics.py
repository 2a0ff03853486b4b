"""simulator's Prometheus metrics."""

from prometheus_client import Counter, Histogram

JOBS_DURATION = Histogram(
    "jobs_duration_seconds", "Wall time of jobs by type.", ["type"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SIMULATION_SECONDS = JOBS_DURATION.labels("simulation")
RUNS_FAILED = Counter("runs_failed_total", "Simulations that ended in RunFailed.")
POISON_MESSAGES = Counter("simulator_poison_messages_total", "Trigger messages that could not be decoded.")
