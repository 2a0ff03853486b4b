"""Prometheus metrics endpoint for services that have no HTTP server of their own."""

import logging

from prometheus_client import Histogram, start_http_server

log = logging.getLogger("runtime.metrics")


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Serve /metrics on host:port (port 0 disables it). Loopback unless told otherwise: in a
    container Prometheus scrapes from another one (``METRICS_HOST=0.0.0.0``)."""
    if port:
        start_http_server(port, addr=host)
        log.info("metrics on http://%s:%d/metrics", host, port)


JOBS_DURATION = Histogram(
    "jobs_duration_seconds", "Wall time of jobs by type (planning, simulation, aggregate, rebuild).", ["type"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
