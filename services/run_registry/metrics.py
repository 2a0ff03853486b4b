"""run_registry's Prometheus metrics (DESIGN §7)."""

from prometheus_client import Counter, Gauge, Histogram

RUNS_TOTAL = Counter("runs_total", "Runs completed, counted once when first projected live (a rebuild does not re-count).")
EVENTS_APPLIED = Counter("registry_events_applied_total", "Events applied to the read models by the live projection.")
PROJECTION_LAG = Gauge("registry_projection_lag_events", "Events in the stream not yet applied to the read models.")
LAST_SEQ = Gauge("registry_checkpoint_seq", "Last stream sequence applied to the read models.")
DEAD_LETTERS = Counter("registry_dead_letters_total", "Messages of the log set aside in dead_letters: unreadable, "
                                                       "or failing to apply.")
UNDECODABLE = Counter("registry_events_undecodable_total", "Messages of the log that are no event the registry reads "
                                                           "(not JSON, unknown type or schema version, wrong subject).")
DUPLICATE_FINAL_FACTS = Counter("registry_duplicate_final_facts_total",
                                "RunCompleted/RunFailed events for a run that already had its final fact (ignored).")
OBJECT_STORE_BYTES = Gauge("object_store_bytes", "Bytes each object store bucket's stream stores.", ["bucket"])
OBJECTS_DELETED = Counter("registry_objects_deleted_total", "Stored objects the registry removed after the grace "
                                                            "period, by bucket and why.", ["bucket", "reason"])
PENDING_OBJECT_DELETIONS = Gauge("registry_pending_object_deletions", "Stored objects nothing needs any more, "
                                                                      "waiting for the grace period to end.")
REBUILD_SECONDS = Histogram("registry_rebuild_duration_seconds", "Wall time of read-model rebuilds.",
                            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800))
