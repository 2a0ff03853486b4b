"""Every subject, stream, consumer and bucket name of SCPLN, in one place.

Events live under ``scpln.events.>`` in the ``SCPLN_EVENTS`` stream and are kept forever.
Commands (``scpln.cmd.<service>.<verb>``) and queries (``scpln.qry.registry.<name>``) are
core NATS request/reply and are not stored.
"""

import hashlib

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
RUN_META_PREFIX = f"{EVENTS_PREFIX}.run.meta"
RUN_APPROVED = f"{RUN_META_PREFIX}.approved"
BASELINE_PROMOTED = f"{RUN_META_PREFIX}.baseline_promoted"
RUN_ARCHIVED = f"{RUN_META_PREFIX}.archived"
RUN_UNARCHIVED = f"{RUN_META_PREFIX}.unarchived"
RUN_NOTE_ADDED = f"{RUN_META_PREFIX}.note_added"
RUN_TAGS_CHANGED = f"{RUN_META_PREFIX}.tags_changed"
RUN_META_EVENTS = f"{RUN_META_PREFIX}.>"
LEGACY_ROW_IMPORTED = f"{EVENTS_PREFIX}.legacy.row_imported"
"""Marker of the facts imported from one row of an original scpln database (contracts.legacy)."""
"""A run's governance (approval, the scenario's baseline, archive, notes, tags): published by the
run registry, which checks each change against its read model (``CMD_RUN_META``)."""
PLAN_REVIEW_PREFIX = f"{EVENTS_PREFIX}.plan.review"
PLAN_SUBMITTED = f"{PLAN_REVIEW_PREFIX}.submitted"
PLAN_APPROVED = f"{PLAN_REVIEW_PREFIX}.approved"
PLAN_REJECTED = f"{PLAN_REVIEW_PREFIX}.rejected"
PLAN_REVIEW_EVENTS = f"{PLAN_REVIEW_PREFIX}.>"
"""A plan's review (submit, approve, reject), published by plan_service. The notifier
sends the submitted / approved / rejected facts to webhooks by these subjects."""
PSI_PREFIX = f"{EVENTS_PREFIX}.plan.psi"
PSI_BASELINED = f"{PSI_PREFIX}.baselined"
PSI_OPENED = f"{PSI_PREFIX}.opened"
PSI_EDITED = f"{PSI_PREFIX}.edited"
PSI_LOCKS_CHANGED = f"{PSI_PREFIX}.locks_changed"
PSI_RECONCILED = f"{PSI_PREFIX}.reconciled"
PSI_WEIGHTS_SET = f"{PSI_PREFIX}.weights_set"
PSI_EVENTS = f"{PSI_PREFIX}.>"
"""A plan's PSI under review: its baseline from the pipeline, and every edit, lock, reconcile and
weight change of a draft (published by plan_service; the registry projects the cells)."""
PLAN_REVISED = f"{EVENTS_PREFIX}.plan.revised"
"""A revision's supply plan was stored: runs of that revision execute it."""
JOB_PROGRESS = f"{EVENTS_PREFIX}.job.progress"
SCENARIO_CREATED = f"{EVENTS_PREFIX}.scenario.created"
SCENARIO_UPDATED = f"{EVENTS_PREFIX}.scenario.updated"
SCENARIO_LOCKED = f"{EVENTS_PREFIX}.scenario.locked"
SCENARIO_UNLOCKED = f"{EVENTS_PREFIX}.scenario.unlocked"
SCENARIO_ARCHIVED = f"{EVENTS_PREFIX}.scenario.archived"
SCENARIO_UNARCHIVED = f"{EVENTS_PREFIX}.scenario.unarchived"
SCENARIO_EVENTS = f"{EVENTS_PREFIX}.scenario.>"
CONFIG_VERSION_CREATED = f"{EVENTS_PREFIX}.config.created"
JOB_CANCELLED = f"{EVENTS_PREFIX}.job.cancelled"
"""A queued job was cancelled: the worker that later picks it up skips it (the simulator follows these)."""
AGGREGATE_REQUESTED = f"{EVENTS_PREFIX}.aggregate.requested"
AGGREGATE_COMPLETED = f"{EVENTS_PREFIX}.aggregate.completed"
AGGREGATE_SUBJECTS = (
    SCENARIO_CREATED, SCENARIO_UPDATED, SCENARIO_LOCKED, SCENARIO_UNLOCKED, SCENARIO_ARCHIVED, SCENARIO_UNARCHIVED,
    CONFIG_VERSION_CREATED, PLAN_REQUESTED, PLAN_CREATED,
)
"""Facts about one aggregate of plan_service (a scenario, a config version, a plan): each is
stored on its type's subject followed by the aggregate's id (``scpln.events.scenario.locked.<id>``),
so the log keeps a last sequence per aggregate and a writer stores the next fact about it only
if none was stored since it decided (``Nats-Expected-Last-Subject-Sequence`` over
``aggregate_filter``). Facts stored before ids were in subjects sit on the bare type subject;
``of_type`` matches both."""
_AGGREGATE_SUBJECTS = frozenset(AGGREGATE_SUBJECTS)
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def subject_token(aggregate_id: str) -> str:
    """The id as one subject token: itself when it is letters, digits, ``_`` and ``-`` only (every
    id this system mints), else ``h`` and the first 32 hex digits of its sha256."""
    if aggregate_id and len(aggregate_id) <= 128 and set(aggregate_id) <= _TOKEN_CHARS:
        return aggregate_id
    return "h" + hashlib.sha256(aggregate_id.encode()).hexdigest()[:32]


def aggregate_subject(type_subject: str, aggregate_id: str) -> str:
    """Where a fact of this type about this aggregate is stored."""
    return f"{type_subject}.{subject_token(aggregate_id)}"


def aggregate_filter(type_subject: str, aggregate_id: str) -> str:
    """Every fact about the aggregate, of any type of its family: ``scpln.events.scenario.*.<id>``."""
    return f"{type_subject.rpartition('.')[0]}.*.{subject_token(aggregate_id)}"


def of_type(type_subject: str) -> tuple[str, ...]:
    """Filters that match every stored fact of this type: on the bare subject, and per aggregate."""
    return (type_subject, f"{type_subject}.*") if type_subject in _AGGREGATE_SUBJECTS else (type_subject,)


def type_subject(subject: str) -> str:
    """The type subject of a stored fact's subject (the subject without an aggregate's id)."""
    parent = subject.rpartition(".")[0]
    return parent if parent in _AGGREGATE_SUBJECTS else subject


READ_MODEL_REPLACED = f"{EVENTS_PREFIX}.registry.read_model_replaced"
STORED_OBJECTS_DELETED = f"{EVENTS_PREFIX}.registry.objects_deleted"
REGISTRY_EVENTS = f"{EVENTS_PREFIX}.registry.>"
"""Facts of the run registry itself (an operator's swap of its read model, the stored objects it
removed), published by it."""
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
CMD_PSI_OPEN = f"{CMD_PREFIX}.plan.psi_open"
CMD_PSI_EDIT = f"{CMD_PREFIX}.plan.psi_edit"
CMD_PSI_RECONCILE = f"{CMD_PREFIX}.plan.psi_reconcile"
CMD_PSI_WEIGHTS = f"{CMD_PREFIX}.plan.psi_weights"
CMD_PLAN_REVIEW = f"{CMD_PREFIX}.plan.review"
"""Submit, approve or reject a plan (contracts/review.py)."""
CMD_RUN_DELETE = f"{CMD_PREFIX}.registry.delete_run"
CMD_REGISTRY_SWAP = f"{CMD_PREFIX}.registry.swap_read_model"
CMD_RUN_META = f"{CMD_PREFIX}.registry.run_meta"
"""Approve a run, promote it to its scenario's baseline, archive or unarchive it, add a note or
change its tags: the registry checks the run and publishes the fact."""

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
QRY_POSITION = f"{QRY_PREFIX}.position"
"""Only where the read model stands (``last_seq``): how the gateway checks a cached answer (ETag)."""
QRY_PSI_GET = f"{QRY_PREFIX}.psi.get"
QRY_PSI_STATE = f"{QRY_PREFIX}.psi.state"
QRY_PSI_AUDIT = f"{QRY_PREFIX}.psi.audit"
QRY_PSI_WEIGHTS = f"{QRY_PREFIX}.psi.weights"
QRY_RUN_META = f"{QRY_PREFIX}.runs.meta"
QRY_BASELINES = f"{QRY_PREFIX}.runs.baselines"
QRY_NOTIFIER_STATUS = "scpln.qry.notifier.status"
"""The notifier's webhook receivers: deliveries, failures, backlog (request/reply)."""

# status reports: core NATS, not stored (they must get through while the disk is full)
STORAGE_STATUS_PREFIX = "scpln.status.storage"
STORAGE_STATUS_ALL = f"{STORAGE_STATUS_PREFIX}.*"


def storage_status(service: str) -> str:
    """Where ``service`` says whether it can store what it must (``contracts.storage``)."""
    return f"{STORAGE_STATUS_PREFIX}.{service}"


# durable consumers
SIMULATOR_DURABLES = {PLAN_CREATED: "simulator_plans", RUN_REQUESTED: "simulator_reruns"}
"""Per trigger type, the durable pull consumer simulators share (it filters on ``of_type`` of it)."""
PLANNING_DURABLE = "plan_service_planning"
"""The durable pull consumer plan_service's replicas share over the plan requests (it filters on
``of_type(PLAN_REQUESTED)``): whichever replica takes a request plans it."""
REGISTRY_DURABLE = "run_registry"
NOTIFIER_DURABLE_PREFIX = "notifier_"
"""One durable consumer per webhook receiver: this prefix and a digest of its URL."""

# object store buckets
CONFIGS_BUCKET = "scpln-configs"
ARTIFACTS_BUCKET = "scpln-artifacts"
RESULTS_BUCKET = "scpln-results"
UPLOADS_BUCKET = "scpln-uploads"
"""Documents too large to send in a command, staged by the gateway (kept a day)."""
OBJECT_BUCKETS = (RESULTS_BUCKET, ARTIFACTS_BUCKET, CONFIGS_BUCKET, UPLOADS_BUCKET)
