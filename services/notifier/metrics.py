"""The notifier's Prometheus metrics; ``receiver`` is the receiver's durable (its URL may hold a secret)."""

from prometheus_client import Counter, Gauge, Histogram

DELIVERIES = Counter("notify_deliveries_total", "Webhook delivery attempts by outcome (delivered, failed, gave_up, "
                     "skipped).", ["receiver", "event", "outcome"])
DELIVERY_SECONDS = Histogram("notify_delivery_seconds", "Wall time of one webhook POST.", ["receiver"],
                             buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
BACKLOG = Gauge("notify_backlog_events", "Events of the log not yet delivered to the receiver.", ["receiver"])
LAST_DELIVERED = Gauge("notify_last_delivered_seq", "Stream sequence of the last event delivered.", ["receiver"])
