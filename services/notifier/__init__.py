"""The notifier: signed webhooks of the log's facts, delivered by a durable consumer per receiver."""
