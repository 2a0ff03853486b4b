"""Prometheus metrics endpoint for services that have no HTTP server of their own."""

import logging

from prometheus_client import start_http_server

log = logging.getLogger("runtime.metrics")


def serve_metrics(port: int) -> None:
    """Serve /metrics on 127.0.0.1:port (0 disables it)."""
    if port:
        start_http_server(port, addr="127.0.0.1")
        log.info("metrics on http://127.0.0.1:%d/metrics", port)
