"""The bus's users and permissions: one table in Python (``runtime.nats_permissions``), the
same block in the deploy files and in the embedded server's configuration, and the rules the
table must keep (who owns the event log, who publishes which events)."""

from pathlib import Path

import pytest

from contracts import subjects
from contracts.notifications import NOTIFIER_DURABLES
from runtime import nats_permissions as perms
from runtime.nats_server import config

ROOT = Path(__file__).resolve().parents[3]
API = "$JS.API"


def matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` one token, ``>`` one or more at the end."""
    tokens, wanted = pattern.split("."), subject.split(".")
    for i, token in enumerate(tokens):
        if token == ">":
            return len(wanted) > i
        if i >= len(wanted) or token not in ("*", wanted[i]):
            return False
    return len(tokens) == len(wanted)


def who_may_publish(subject: str) -> set[str]:
    return {user for user, p in perms.TABLE.items() if any(matches(pattern, subject) for pattern in p.publish)}


@pytest.mark.parametrize("name", perms.DEPLOY_FILES)
def test_the_deploy_files_carry_the_tables_block_and_monitor_on_loopback_only(name):
    conf = (ROOT / name).read_text()
    assert conf.endswith(perms.authorization_block()), (
        f"{name} differs from runtime/nats_permissions.py: run python -m runtime.nats_permissions --write")
    assert conf.count("authorization {") == 1
    assert "http: 127.0.0.1:8222" in conf and "http: 0.0.0.0" not in conf


def test_the_embedded_server_runs_the_same_block_on_loopback(tmp_path):
    conf = config(tmp_path, 4222, monitor_port=8222, secured=True)
    assert conf.startswith("listen: 127.0.0.1:4222\nhttp: 127.0.0.1:8222\n")
    assert conf.endswith(perms.authorization_block())
    assert "authorization" not in config(tmp_path, 4222), "the unsecured form is for tests' plain servers only"


def test_every_user_has_a_password_from_the_environment_and_no_secret_is_in_the_block():
    block = perms.authorization_block()
    for user in perms.USERS:
        assert f"user: {user}, password: ${perms.password_variable(user)}\n" in block
    assert set(perms.TABLE) == set(perms.USERS)


def test_nobody_may_delete_or_purge_the_event_log_and_only_its_owner_and_the_operator_may_change_it():
    log = subjects.STREAM_NAME
    for verb in ("DELETE", "PURGE", "MSG.DELETE"):
        assert who_may_publish(f"{API}.STREAM.{verb}.{log}") == set(), verb
    for verb in ("CREATE", "UPDATE"):
        assert who_may_publish(f"{API}.STREAM.{verb}.{log}") == {"plan_service", "operator"}, verb
    for user, p in perms.TABLE.items():
        assert not {">", "$JS.>", f"{API}.>", "$JS.API.STREAM.>", "$O.>", "scpln.>", "scpln.events.>"} & set(p.publish), user
    for bucket in (subjects.CONFIGS_BUCKET, subjects.ARTIFACTS_BUCKET, subjects.RESULTS_BUCKET, subjects.UPLOADS_BUCKET):
        assert who_may_publish(f"{API}.STREAM.DELETE.OBJ_{bucket}") == set(), bucket


@pytest.mark.parametrize(("subject", "publishers"), [
    (subjects.RUN_COMPLETED, {"simulator", "operator"}),  # and scpln legacy import
    (subjects.RUN_FAILED, {"simulator"}),
    (subjects.aggregate_subject(subjects.PLAN_CREATED, "plan_1"), {"plan_service", "operator"}),  # and legacy import
    (subjects.aggregate_subject(subjects.PLAN_REQUESTED, "plan_1"), {"plan_service"}),
    (subjects.PLAN_CREATED, set()),  # facts about a plan name it (stored before they did: read, never written)
    (subjects.RUN_REQUESTED, {"plan_service"}),
    (subjects.aggregate_subject(subjects.SCENARIO_LOCKED, "scn_1"), {"plan_service", "operator"}),  # and legacy import
    (subjects.aggregate_subject(subjects.CONFIG_VERSION_CREATED, "cfg_1"), {"plan_service", "operator"}),  # and legacy
    (subjects.JOB_CANCELLED, {"plan_service"}),
    (subjects.AGGREGATE_COMPLETED, {"plan_service"}),
    (subjects.RUN_DELETED, {"run_registry"}),
    (subjects.RUN_APPROVED, {"run_registry", "operator"}),  # and scpln legacy import
    (subjects.BASELINE_PROMOTED, {"run_registry", "operator"}),  # and scpln legacy import
    (subjects.RUN_NOTE_ADDED, {"run_registry", "operator"}),  # and scpln legacy import
    (subjects.CMD_RUN_META, {"ui_gateway"}),
    (subjects.READ_MODEL_REPLACED, {"run_registry", "operator"}),
    (subjects.MAINTENANCE_STARTED, {"plan_service"}),
    (subjects.CMD_MAINTENANCE_SET, {"ui_gateway", "operator"}),
    (subjects.USER_ADDED, {"operator"}),
    (subjects.TOKEN_ISSUED, {"operator"}),
    (subjects.JOB_PROGRESS, {"plan_service", "simulator", "operator"}),
    (subjects.CMD_REGISTRY_SWAP, {"operator"}),
    (subjects.CMD_RUN_DELETE, {"ui_gateway"}),
    (subjects.CMD_PLAN_CREATE, {"ui_gateway"}),
    (subjects.LEGACY_ROW_IMPORTED, {"operator"}),
    ("scpln.events.something.new", set()),
])
def test_each_event_and_command_has_exactly_its_publishers(subject, publishers):
    assert who_may_publish(subject) == publishers


def test_the_gateway_publishes_no_event_and_reads_identities_and_progress_through_ordered_consumers():
    gateway = perms.TABLE["ui_gateway"]
    assert not [p for p in gateway.publish if p.startswith(subjects.EVENTS_PREFIX)]
    assert {f"{API}.CONSUMER.CREATE.{subjects.STREAM_NAME}", f"$JS.FC.{subjects.STREAM_NAME}.>"} <= set(gateway.publish)
    assert gateway.subscribe == ("_INBOX.>", subjects.STORAGE_STATUS_ALL), (
        "deliveries of its consumers come to its inbox; it hears how the services' writes fare (/healthz)")


@pytest.mark.parametrize("service", ["plan_service", "simulator", "run_registry", "ui_gateway"])
def test_each_service_reports_its_own_storage_and_only_the_registry_and_gateway_hear_them(service):
    assert who_may_publish(subjects.storage_status(service)) == {service}
    hear = {user for user, p in perms.TABLE.items()
            if any(matches(pattern, subjects.storage_status(service)) for pattern in p.subscribe)}
    assert hear == {"run_registry", "ui_gateway"}


def test_only_the_responders_answer_requests_without_publishing_to_inboxes():
    assert {user for user, p in perms.TABLE.items() if p.allow_responses} == {"plan_service", "run_registry", "notifier"}
    assert who_may_publish("_INBOX.abc.def") == set()


def test_a_durable_is_reachable_only_by_its_service():
    for durable in subjects.SIMULATOR_DURABLES.values():
        assert who_may_publish(f"$JS.ACK.{subjects.STREAM_NAME}.{durable}.1.2.3.4.5") == {"simulator"}
    assert "run_registry" not in who_may_publish(f"$JS.ACK.{subjects.STREAM_NAME}.x.1.2.3.4.5"), (
        "each registry replica reads the log through a consumer of its own and acknowledges nothing")
    assert who_may_publish(f"{API}.CONSUMER.DELETE.{subjects.STREAM_NAME}.simulator_plans") == {
        "plan_service", "operator"}, "log readers delete their ephemeral consumers by name"


def test_the_notifier_reads_only_its_receivers_durables_and_publishes_no_event():
    notifier = perms.TABLE["notifier"]
    assert not [p for p in notifier.publish if p.startswith(subjects.EVENTS_PREFIX)]
    assert notifier.subscribe == (subjects.QRY_NOTIFIER_STATUS, "_INBOX.>")
    for durable in NOTIFIER_DURABLES:
        assert who_may_publish(f"$JS.ACK.{subjects.STREAM_NAME}.{durable}.1.2.3.4.5") == {"notifier"}
        assert who_may_publish(f"{API}.CONSUMER.CREATE.{subjects.STREAM_NAME}.{durable}") == {"notifier"}
    for other in (*subjects.SIMULATOR_DURABLES.values(), subjects.REGISTRY_DURABLE, "notifier_9"):
        assert "notifier" not in who_may_publish(f"{API}.CONSUMER.MSG.NEXT.{subjects.STREAM_NAME}.{other}"), other
    assert who_may_publish(subjects.QRY_NOTIFIER_STATUS) == {"ui_gateway"}
