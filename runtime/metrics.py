"""Prometheus metrics endpoint for services that have no HTTP server of their own."""

import logging

from prometheus_client import Histogram, start_http_server

log = logging.getLogger("runtime.metrics")


def serve_metrics(port: int) -> None:
    """Serve /metrics on 127.0.0.1:port (0 disables it)."""
    if port:
        start_http_server(port, addr="127.0.0.1")
        log.info("metrics on http://127.0.0.1:%d/metrics", port)


JOBS_DURATION = Histogram(
    "jobs_duration_seconds", "Wall time of jobs by type (planning, simulation, aggregate, rebuild).", ["type"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
