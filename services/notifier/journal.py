"""What the notifier did since it started: per receiver counts and the latest attempts (for the
operators' page and the status query), mirrored in the Prometheus metrics."""

from collections import deque

from contracts.notifications import DeliveryAttempt, ReceiverStatus
from services.notifier.metrics import DELIVERIES, DELIVERY_SECONDS, LAST_DELIVERED
from services.notifier.payload import redacted

RECENT = 200


class Journal:
    def __init__(self) -> None:
        self.receivers: dict[str, ReceiverStatus] = {}
        self.recent: deque[DeliveryAttempt] = deque(maxlen=RECENT)

    def add_receiver(self, url: str, durable: str) -> None:
        self.receivers[durable] = ReceiverStatus(receiver=redacted(url), durable=durable)

    def record(self, durable: str, attempt: DeliveryAttempt, seconds: float | None) -> None:
        self.recent.appendleft(attempt)
        DELIVERIES.labels(durable, attempt.event, attempt.outcome).inc()
        if seconds is not None:
            DELIVERY_SECONDS.labels(durable).observe(seconds)
        status = self.receivers.get(durable) or ReceiverStatus(receiver=attempt.receiver, durable=durable)
        update: dict[str, object] = {"last_attempt_at": attempt.at}
        if attempt.outcome == "delivered":
            update |= {"delivered": status.delivered + 1, "last_delivered_seq": attempt.sequence, "last_error": ""}
            LAST_DELIVERED.labels(durable).set(attempt.sequence)
        elif attempt.outcome == "failed":
            update |= {"failed_attempts": status.failed_attempts + 1, "last_error": attempt.error}
        elif attempt.outcome == "gave_up":
            update |= {"failed_attempts": status.failed_attempts + 1, "given_up": status.given_up + 1,
                       "last_error": attempt.error}
        self.receivers[durable] = status.model_copy(update=update)

    def with_backlog(self, pending: dict[str, int | None]) -> list[ReceiverStatus]:
        return [status.model_copy(update={"pending": pending.get(durable)}) for durable, status in self.receivers.items()]

