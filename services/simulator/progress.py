"""A run's progress reporter: ``runtime.progress`` (shared with plan_service's planning jobs)."""

from runtime.progress import ProgressReporter, Publish

__all__ = ["ProgressReporter", "Publish"]
