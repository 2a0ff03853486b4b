"""Webhook notifications: which facts of the log go out and under what name, the headers of a
delivery, and the notifier's status (``scpln.qry.notifier.status``).

A delivery is a JSON POST of one event to one receiver, in log order per receiver, at least once:
``X-Scpln-Event`` (the name below), ``X-Scpln-Delivery`` (the event's id: the same on every retry,
for the receiver's deduplication) and, with a secret, ``X-Scpln-Signature: sha256=<hex HMAC-SHA256
of the raw body>``. The body carries ``timestamp`` (when it was sent): a receiver refuses an old
one, so a body captured once cannot be replayed later.
"""

from datetime import datetime

from pydantic import Field

from contracts import subjects
from contracts.envelope import Contract

WEBHOOK_EVENTS: dict[str, str] = {
    "run_completed": subjects.RUN_COMPLETED,
    "run_failed": subjects.RUN_FAILED,
    "run_approved": subjects.RUN_APPROVED,
    "run_promoted_baseline": subjects.BASELINE_PROMOTED,
    "run_archived": subjects.RUN_ARCHIVED,
    "run_unarchived": subjects.RUN_UNARCHIVED,
    "run_note_added": subjects.RUN_NOTE_ADDED,
    "plan_submitted": subjects.PLAN_SUBMITTED,
    "plan_approved": subjects.PLAN_APPROVED,
    "plan_rejected": subjects.PLAN_REJECTED,
}
"""Webhook event name (the original scpln's, where it had one) → the subject of its fact."""
DEFAULT_WEBHOOK_EVENTS = ("run_completed", "run_failed", "run_approved", "run_promoted_baseline",
                          "plan_submitted", "plan_approved", "plan_rejected")
EVENT_HEADER = "X-Scpln-Event"
SIGNATURE_HEADER = "X-Scpln-Signature"
DELIVERY_HEADER = "X-Scpln-Delivery"
RECEIVERS_MAX = 8
NOTIFIER_DURABLES = tuple(f"{subjects.NOTIFIER_DURABLE_PREFIX}{i}" for i in range(1, RECEIVERS_MAX + 1))
"""A durable consumer per receiver, from a fixed set of names (the bus's permissions name each);
each records the receiver it serves in its description."""


class NotifierStatusQuery(Contract):
    """What the notifier is doing (no parameters)."""


class DeliveryAttempt(Contract):
    receiver: str = Field(description="The receiver, its URL without credentials or query.")
    event: str = Field(description="Webhook event name.")
    delivery_id: str = Field(description="The event's id (X-Scpln-Delivery).")
    sequence: int = Field(description="The event's stream sequence.")
    attempt: int = Field(description="Which attempt at this event, from 1.")
    outcome: str = Field(description="delivered, failed (it is retried), gave_up or skipped.")
    error: str = Field(default="", description="Why it failed: the HTTP status or the connection error.")
    at: datetime = Field(description="When it was tried.")
    next_attempt_s: float | None = Field(default=None, description="Seconds until it is tried again (failed).")


class ReceiverStatus(Contract):
    receiver: str = Field(description="The receiver, its URL without credentials or query.")
    durable: str = Field(description="Its durable consumer.")
    delivered: int = Field(default=0, description="Events delivered since the notifier started.")
    failed_attempts: int = Field(default=0, description="Attempts that failed since the notifier started.")
    given_up: int = Field(default=0, description="Events given up after retrying for NOTIFY_GIVE_UP_AFTER_S.")
    pending: int | None = Field(default=None, description="Events not yet delivered (the consumer's backlog).")
    last_delivered_seq: int | None = Field(default=None, description="Stream sequence of the last event delivered.")
    last_error: str = Field(default="", description="The last failure, if the last attempt failed.")
    last_attempt_at: datetime | None = None


class NotifierStatus(Contract):
    events: list[str] = Field(description="The webhook events sent (NOTIFY_EVENTS).")
    signed: bool = Field(description="Deliveries carry X-Scpln-Signature (NOTIFY_WEBHOOK_SECRET is set).")
    give_up_after_s: float = Field(description="How long an event is retried before it is given up.")
    receivers: list[ReceiverStatus]
    recent: list[DeliveryAttempt] = Field(description="The latest attempts, newest first.")
