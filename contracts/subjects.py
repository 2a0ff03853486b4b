"""Every subject, stream, consumer and bucket name of SCPLN, in one place.

Events live under ``scpln.events.>`` in the ``SCPLN_EVENTS`` stream and are kept forever.
Commands (``scpln.cmd.<service>.<verb>``) and queries (``scpln.qry.registry.<name>``) are
core NATS request/reply and are not stored.
"""

STREAM_NAME = "SCPLN_EVENTS"
EVENTS_PREFIX = "scpln.events"
EVENTS_WILDCARD = f"{EVENTS_PREFIX}.>"

# events: one subject per event type
PLAN_REQUESTED = f"{EVENTS_PREFIX}.plan.requested"
PLAN_CREATED = f"{EVENTS_PREFIX}.plan.created"
RUN_REQUESTED = f"{EVENTS_PREFIX}.run.requested"
RUN_COMPLETED = f"{EVENTS_PREFIX}.run.completed"
RUN_FAILED = f"{EVENTS_PREFIX}.run.failed"
RUN_DELETED = f"{EVENTS_PREFIX}.run.deleted"
JOB_PROGRESS = f"{EVENTS_PREFIX}.job.progress"
SCENARIO_CREATED = f"{EVENTS_PREFIX}.scenario.created"
SCENARIO_UPDATED = f"{EVENTS_PREFIX}.scenario.updated"
SCENARIO_LOCKED = f"{EVENTS_PREFIX}.scenario.locked"
SCENARIO_UNLOCKED = f"{EVENTS_PREFIX}.scenario.unlocked"
SCENARIO_ARCHIVED = f"{EVENTS_PREFIX}.scenario.archived"
SCENARIO_UNARCHIVED = f"{EVENTS_PREFIX}.scenario.unarchived"
SCENARIO_EVENTS = f"{EVENTS_PREFIX}.scenario.>"
CONFIG_VERSION_CREATED = f"{EVENTS_PREFIX}.config.created"
AGGREGATE_REQUESTED = f"{EVENTS_PREFIX}.aggregate.requested"
AGGREGATE_COMPLETED = f"{EVENTS_PREFIX}.aggregate.completed"
READ_MODEL_REPLACED = f"{EVENTS_PREFIX}.registry.read_model_replaced"
REGISTRY_EVENTS = f"{EVENTS_PREFIX}.registry.>"
"""Facts of the run registry itself (an operator's swap of its read model), published by it."""
MAINTENANCE_STARTED = f"{EVENTS_PREFIX}.maintenance.started"
MAINTENANCE_ENDED = f"{EVENTS_PREFIX}.maintenance.ended"
MAINTENANCE_EVENTS = f"{EVENTS_PREFIX}.maintenance.>"
"""Maintenance mode on and off: published by plan_service (which refuses new plans and reruns
while it is on), followed by the gateway (the banner on every page)."""
IDENTITY_PREFIX = f"{EVENTS_PREFIX}.identity"
USER_ADDED = f"{IDENTITY_PREFIX}.user_added"
USER_ROLE_CHANGED = f"{IDENTITY_PREFIX}.user_role_changed"
USER_PASSWORD_CHANGED = f"{IDENTITY_PREFIX}.user_password_changed"
USER_DISABLED = f"{IDENTITY_PREFIX}.user_disabled"
USER_ENABLED = f"{IDENTITY_PREFIX}.user_enabled"
TOKEN_ISSUED = f"{IDENTITY_PREFIX}.token_issued"
TOKEN_REVOKED = f"{IDENTITY_PREFIX}.token_revoked"
IDENTITY_EVENTS = f"{IDENTITY_PREFIX}.>"
"""Users and tokens: written by ``scpln users|tokens`` (the operator) and the gateway's first
start, folded by the gateway."""

# commands: request/reply, answered at once
CMD_PREFIX = "scpln.cmd"
CMD_PLAN_CREATE = f"{CMD_PREFIX}.plan.create"
CMD_PLAN_RERUN = f"{CMD_PREFIX}.plan.rerun"
CMD_CONFIG_IMPORT = f"{CMD_PREFIX}.plan.import_config"
CMD_SCENARIO_CREATE = f"{CMD_PREFIX}.plan.create_scenario"
CMD_SCENARIO_UPDATE = f"{CMD_PREFIX}.plan.update_scenario"
CMD_SCENARIO_LOCK = f"{CMD_PREFIX}.plan.lock_scenario"
CMD_SCENARIO_UNLOCK = f"{CMD_PREFIX}.plan.unlock_scenario"
CMD_SCENARIO_ARCHIVE = f"{CMD_PREFIX}.plan.archive_scenario"
CMD_SCENARIO_UNARCHIVE = f"{CMD_PREFIX}.plan.unarchive_scenario"
CMD_AGGREGATE = f"{CMD_PREFIX}.plan.aggregate"
CMD_JOB_CANCEL = f"{CMD_PREFIX}.plan.cancel_job"
CMD_JOB_RETRY = f"{CMD_PREFIX}.plan.retry_job"
CMD_MAINTENANCE_SET = f"{CMD_PREFIX}.plan.set_maintenance"
CMD_RUN_DELETE = f"{CMD_PREFIX}.registry.delete_run"
CMD_REGISTRY_SWAP = f"{CMD_PREFIX}.registry.swap_read_model"

# queries: request/reply on the registry's read models
QRY_PREFIX = "scpln.qry.registry"
QRY_RUNS_LIST = f"{QRY_PREFIX}.runs.list"
QRY_RUN_GET = f"{QRY_PREFIX}.runs.get"
QRY_RUNS_COMPARE = f"{QRY_PREFIX}.runs.compare"
QRY_PLANS_LIST = f"{QRY_PREFIX}.plans.list"
QRY_PLAN_GET = f"{QRY_PREFIX}.plans.get"
QRY_JOBS_LIST = f"{QRY_PREFIX}.jobs.list"
QRY_JOB_GET = f"{QRY_PREFIX}.jobs.get"
QRY_SCENARIOS_LIST = f"{QRY_PREFIX}.scenarios.list"
QRY_SCENARIO_GET = f"{QRY_PREFIX}.scenarios.get"
QRY_CONFIGS_LIST = f"{QRY_PREFIX}.configs.list"
QRY_CONFIG_GET = f"{QRY_PREFIX}.configs.get"
QRY_STATUS = f"{QRY_PREFIX}.status"

# durable consumers
SIMULATOR_DURABLES = {PLAN_CREATED: "simulator_plans", RUN_REQUESTED: "simulator_reruns"}
REGISTRY_DURABLE = "run_registry"

# object store buckets
CONFIGS_BUCKET = "scpln-configs"
ARTIFACTS_BUCKET = "scpln-artifacts"
RESULTS_BUCKET = "scpln-results"
UPLOADS_BUCKET = "scpln-uploads"
"""Documents too large to send in a command, staged by the gateway (kept a day)."""
