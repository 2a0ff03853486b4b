"""Structured (one JSON object per line) logs, the same in every service."""

import json
import logging
import sys
from datetime import UTC, datetime


def first_line(exc: BaseException) -> str:
    """An error in one short line, for a log message: its first line, or its type's name."""
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup_logging(service: str, level: str = "INFO") -> logging.Logger:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("faststream", "nats", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return logging.getLogger(service)


def fields(**values: object) -> dict[str, dict[str, object]]:
    """``log.info("msg", extra=fields(job_id=...))`` adds keys to the JSON line."""
    return {"fields": values}
