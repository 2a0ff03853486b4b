"""Who may do what on the bus: one NATS user per service and one for the operator, each with
the subjects it needs and no more. ``deploy/nats-server.conf``, ``deploy/nats-cluster.conf``
and the embedded server of ``scpln up`` all carry the block rendered here (a unit test checks
the files; ``python -m runtime.nats_permissions --write`` brings them up to date).

JetStream is reached through subjects too (``$JS.API.<verb>.<stream>[.<consumer>]``), so the
same lists say which streams and consumers a user may touch: only plan_service (the event
log's owner) and the operator may create or update ``SCPLN_EVENTS``; nobody may delete or
purge it; each service publishes only the events it owns.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

from contracts import subjects as s
from contracts.notifications import NOTIFIER_DURABLES

API = "$JS.API"
EVENTS = s.STREAM_NAME
USERS = ("plan_service", "simulator", "run_registry", "ui_gateway", "notifier", "operator")


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    allow_responses: bool = False
    """May answer the requests it receives (once each), without publishing to ``_INBOX.>``."""


def stream_owner(stream: str) -> tuple[str, ...]:
    return (f"{API}.STREAM.INFO.{stream}", f"{API}.STREAM.CREATE.{stream}", f"{API}.STREAM.UPDATE.{stream}")


def durable(stream: str, name: str) -> tuple[str, ...]:
    """A named (durable) pull consumer with a filter: create or bind it, pull from it, acknowledge."""
    consumer = f"{stream}.{name}"
    return (f"{API}.CONSUMER.CREATE.{consumer}.>", f"{API}.CONSUMER.INFO.{consumer}",
            f"{API}.CONSUMER.MSG.NEXT.{consumer}", f"$JS.ACK.{consumer}.>")


def notifier_durable(stream: str, name: str) -> tuple[str, ...]:
    """A webhook receiver's durable, created with several filter subjects (a create subject without
    a filter token), and made again when it is given to another receiver."""
    return (*durable(stream, name), f"{API}.CONSUMER.CREATE.{stream}.{name}", f"{API}.CONSUMER.DELETE.{stream}.{name}")


def ordered(stream: str) -> tuple[str, ...]:
    """Ephemeral ordered push consumers (``runtime.follow``: identity, job progress, plan_service's
    own facts, cancellations): create,
    ask how far it is, answer the server's flow control."""
    return (f"{API}.CONSUMER.CREATE.{stream}", f"{API}.CONSUMER.INFO.{stream}.*", f"$JS.FC.{stream}.>")


def own_reader(stream: str) -> tuple[str, ...]:
    """A pull consumer named by the server, one per registry replica (each projects the whole log
    into its own read model): create it, ask how far it is, pull from it; nothing is acknowledged."""
    return (f"{API}.CONSUMER.CREATE.{stream}", f"{API}.CONSUMER.INFO.{stream}.*", f"{API}.CONSUMER.MSG.NEXT.{stream}.*")


def log_reader(stream: str) -> tuple[str, ...]:
    """``runtime.replay``: ephemeral pull consumers, deleted when the read is done."""
    return (f"{API}.CONSUMER.CREATE.{stream}", f"{API}.CONSUMER.MSG.NEXT.{stream}.*",
            f"{API}.CONSUMER.DELETE.{stream}.*")


def _object_stream(bucket: str) -> tuple[str, str]:
    return f"OBJ_{bucket}", f"{API}.STREAM.INFO.OBJ_{bucket}"


def bucket_reader(bucket: str) -> tuple[str, ...]:
    """An object's metadata is its subject's last message; its chunks come through an ordered
    consumer on the bucket's stream, found by subject (``STREAM.NAMES``)."""
    stream, info = _object_stream(bucket)
    return (f"{API}.STREAM.NAMES", info, f"{API}.STREAM.MSG.GET.{stream}", f"{API}.CONSUMER.CREATE.{stream}",
            f"$JS.FC.{stream}.>")


def bucket_writer(bucket: str) -> tuple[str, ...]:
    """Creates the bucket on first write; an object written again replaces its chunks (a purge
    of that object's chunks in the bucket's own stream, never in the event log)."""
    stream, info = _object_stream(bucket)
    return (info, f"{API}.STREAM.CREATE.{stream}", f"{API}.STREAM.MSG.GET.{stream}", f"{API}.STREAM.PURGE.{stream}",
            f"$O.{bucket}.>")


def bucket_cleaner(bucket: str) -> tuple[str, ...]:
    """Removes objects (the registry's sweep): reads an object's metadata, writes its deletion
    marker and purges its chunks in the bucket's own stream; never creates the bucket."""
    stream, info = _object_stream(bucket)
    return (info, f"{API}.STREAM.MSG.GET.{stream}", f"{API}.STREAM.PURGE.{stream}", f"$O.{bucket}.M.>")


def bucket_owner(bucket: str) -> tuple[str, ...]:
    """Declares the bucket with the event log's copies at start (``runtime.objects.declare_buckets``)."""
    stream, info = _object_stream(bucket)
    return (info, f"{API}.STREAM.CREATE.{stream}", f"{API}.STREAM.UPDATE.{stream}")


def bucket_size(bucket: str) -> str:
    """How much the bucket's stream stores (its info)."""
    return _object_stream(bucket)[1]


def unique(*groups: tuple[str, ...] | str) -> tuple[str, ...]:
    flat = [subject for group in groups for subject in ((group,) if isinstance(group, str) else group)]
    return tuple(dict.fromkeys(flat))


INBOX = "_INBOX.>"
LEGACY_IMPORT = (f"{s.SCENARIO_CREATED}.*", f"{s.SCENARIO_LOCKED}.*", f"{s.CONFIG_VERSION_CREATED}.*",
                 f"{s.PLAN_CREATED}.*", s.RUN_COMPLETED,
                 s.RUN_APPROVED, s.BASELINE_PROMOTED, s.RUN_ARCHIVED, s.RUN_NOTE_ADDED, s.RUN_TAGS_CHANGED,
                 s.LEGACY_ROW_IMPORTED, bucket_writer(s.CONFIGS_BUCKET), bucket_writer(s.ARTIFACTS_BUCKET),
                 bucket_writer(s.RESULTS_BUCKET))
"""What ``scpln legacy import`` publishes as the operator: the original's history as facts, its
configs, plan artifacts and runs' daily results into their buckets (contracts.legacy)."""
EVENT_LOG = f"{API}.STREAM.INFO.{EVENTS}"

TABLE: dict[str, Permissions] = {
    "plan_service": Permissions(
        publish=unique(f"{s.PLAN_REQUESTED}.*", f"{s.PLAN_CREATED}.*", s.RUN_REQUESTED, s.SCENARIO_EVENTS,
                       f"{s.CONFIG_VERSION_CREATED}.*", s.AGGREGATE_REQUESTED, s.AGGREGATE_COMPLETED,
                       s.MAINTENANCE_EVENTS, s.JOB_PROGRESS, s.JOB_CANCELLED, s.PSI_EVENTS, s.PLAN_REVISED,
                       s.PLAN_REVIEW_EVENTS,
                       s.QRY_RUN_GET, s.QRY_RUNS_LIST, s.QRY_JOB_GET, s.QRY_JOBS_LIST, stream_owner(EVENTS),
                       *(bucket_owner(bucket) for bucket in s.OBJECT_BUCKETS),
                       log_reader(EVENTS), ordered(EVENTS), durable(EVENTS, s.PLANNING_DURABLE),
                       f"{API}.CONSUMER.CREATE.{EVENTS}.{s.PLANNING_DURABLE}",  # two filters: no filter token
                       bucket_writer(s.CONFIGS_BUCKET), bucket_reader(s.CONFIGS_BUCKET), bucket_writer(s.ARTIFACTS_BUCKET),
                       bucket_reader(s.ARTIFACTS_BUCKET), bucket_reader(s.RESULTS_BUCKET), bucket_reader(s.UPLOADS_BUCKET),
                       s.storage_status("plan_service")),
        subscribe=(f"{s.CMD_PREFIX}.plan.>", INBOX), allow_responses=True),
    "simulator": Permissions(
        publish=unique(s.RUN_COMPLETED, s.RUN_FAILED, s.JOB_PROGRESS, s.QRY_JOBS_LIST, EVENT_LOG, ordered(EVENTS),
                       *(durable(EVENTS, name) for name in s.SIMULATOR_DURABLES.values()),
                       *(f"{API}.CONSUMER.CREATE.{EVENTS}.{name}" for subject, name in s.SIMULATOR_DURABLES.items()
                         if len(s.of_type(subject)) > 1),  # a durable with two filters has no filter token
                       bucket_reader(s.CONFIGS_BUCKET), bucket_reader(s.ARTIFACTS_BUCKET), bucket_writer(s.RESULTS_BUCKET),
                       s.storage_status("simulator")),
        subscribe=(INBOX,)),
    "run_registry": Permissions(
        publish=unique(s.RUN_DELETED, s.RUN_META_EVENTS, s.REGISTRY_EVENTS, EVENT_LOG, own_reader(EVENTS),
                       f"{API}.CONSUMER.DELETE.{EVENTS}.{s.REGISTRY_DURABLE}",  # the durable of registries before replicas
                       bucket_cleaner(s.RESULTS_BUCKET), bucket_cleaner(s.ARTIFACTS_BUCKET),
                       *(bucket_size(bucket) for bucket in s.OBJECT_BUCKETS), s.storage_status("run_registry")),
        subscribe=(f"{s.QRY_PREFIX}.>", f"{s.CMD_PREFIX}.registry.>", INBOX, s.STORAGE_STATUS_ALL),
        allow_responses=True),
    "ui_gateway": Permissions(
        publish=unique(f"{s.CMD_PREFIX}.plan.>", s.CMD_RUN_DELETE, s.CMD_RUN_META, f"{s.QRY_PREFIX}.>",
                       s.QRY_NOTIFIER_STATUS, EVENT_LOG, ordered(EVENTS),
                       bucket_writer(s.UPLOADS_BUCKET), bucket_reader(s.CONFIGS_BUCKET),
                       bucket_reader(s.ARTIFACTS_BUCKET), bucket_reader(s.RESULTS_BUCKET), s.storage_status("ui_gateway")),
        subscribe=(INBOX, s.STORAGE_STATUS_ALL)),
    "notifier": Permissions(
        publish=unique(EVENT_LOG, *(notifier_durable(EVENTS, name) for name in NOTIFIER_DURABLES)),
        subscribe=(s.QRY_NOTIFIER_STATUS, INBOX), allow_responses=True),
    "operator": Permissions(
        publish=unique(s.IDENTITY_EVENTS, s.JOB_PROGRESS, s.READ_MODEL_REPLACED, s.CMD_REGISTRY_SWAP,
                       s.CMD_MAINTENANCE_SET, stream_owner(EVENTS), ordered(EVENTS), log_reader(EVENTS),
                       *LEGACY_IMPORT, s.CMD_CONFIG_IMPORT, bucket_writer(s.UPLOADS_BUCKET),
                       f"{API}.STREAM.MSG.GET.{EVENTS}"),  # an audit reads one stored event by its sequence
        subscribe=(INBOX,)),
}
"""Each user's subjects. Everything not listed is refused (the server logs a Permissions Violation)."""


def events_published_by(user: str) -> list[type]:
    """The event types ``user`` may publish (its subjects in ``TABLE``): the publishers a service
    declares on its broker (``runtime.publisher.event_publishers``), so the AsyncAPI document
    lists what each service publishes, from the same table the server enforces."""
    from contracts.events import AGGREGATE_ID_OF, EVENT_TYPES, SUBJECT_OF
    from runtime.publisher import subject_matches

    allowed = TABLE[user].publish
    published = []
    for model in EVENT_TYPES:
        subject = SUBJECT_OF[model.__name__]
        stored_on = f"{subject}.id" if model.__name__ in AGGREGATE_ID_OF else subject
        if any(subject_matches(stored_on, pattern) for pattern in allowed):
            published.append(model)
    return published


def password_variable(user: str) -> str:
    """The environment variable nats-server reads the user's password from."""
    return f"{user.upper()}_PASSWORD"


def _subjects(name: str, items: tuple[str, ...]) -> list[str]:
    return [f"        {name}: ["] + [f'          "{item}"' for item in items] + ["        ]"]


def authorization_block(table: dict[str, Permissions] = TABLE) -> str:
    """The ``authorization`` section of a nats-server configuration. Passwords are read from
    the server's environment (``$PLAN_SERVICE_PASSWORD``…): the file holds no secret."""
    lines = ["authorization {", "  users = ["]
    for user, perms in table.items():
        lines += [f"    {{ user: {user}, password: ${password_variable(user)}", "      permissions: {"]
        lines += _subjects("publish", perms.publish) + _subjects("subscribe", perms.subscribe)
        if perms.allow_responses:
            lines.append("        allow_responses: true")
        lines += ["      }", "    }"]
    return "\n".join([*lines, "  ]", "}"]) + "\n"


DEPLOY_FILES = ("deploy/nats-server.conf", "deploy/nats-cluster.conf")


def with_block(conf: str, block: str) -> str:
    """``conf`` with its authorization section (from ``authorization {`` to the end) replaced."""
    start = conf.index("authorization {")
    return conf[:start] + block


def write_deploy_files(root: Path) -> None:
    for name in DEPLOY_FILES:
        path = root / name
        path.write_text(with_block(path.read_text(), authorization_block()))


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_deploy_files(Path(__file__).resolve().parents[1])
    else:
        sys.stdout.write(authorization_block())
