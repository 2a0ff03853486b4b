"""The registry's read-model schema (SQLAlchemy Core) and how to open its database.

Times are stored as integer microseconds since the epoch (UTC): compact, index-friendly and
sorted exactly like the datetimes they hold. JSON columns are written with sorted keys so the
same events always produce the same bytes (``digest.table_digests`` relies on it).
"""

import json
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic_core import from_json
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
    func,
    inspect,
    literal_column,
)
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex, CreateTable

from services.run_registry import wal

READ_MODEL_VERSION = 15
"""Raised when the same events make other rows (2: plans have a row from their request on; 3:
scenarios say who archived them and when; 6: runs hold their approval and archive, scenarios their
baseline, runs their notes and tags; 9: the stored objects of runs deleted or dropped by retention, and
of plans left without runs, wait for their removal, ``pending_object_deletions``; 10: scenarios hold
their overrides, plans the overrides they applied, their effective config's digest and how it differs
from the config; 11: jobs keep every change as it came, ``job_events``; 12: plan reviews, their PSI cells,
weights, audit trail and revisions, and the supply plan each simulation was asked to execute; 13: runs hold
their replication index, plans how many replications they were asked for and their warnings; 14: each
simulation job names the supply plan it executes, ``simulation_requests``, so a run says which revision of
its plan it simulated; 15: where each fact imported from the original scpln came from, ``imported_facts``, and which
databases were imported, ``imported_sources``). A
read model projected by an older version is projected again from the whole log (``outdated``)."""
NULL_SORT = literal_column("-1e308")
"""Where runs without a KPI (failed runs) sort: below every value, in both orders' index."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class UtcMicros(TypeDecorator[datetime]):
    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None or isinstance(value, int):
            return value
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return (value - _EPOCH) // _MICRO

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        return None if value is None else _EPOCH + value * _MICRO


_JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


class Json(TypeDecorator[Any]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if type(value) is bytes:  # encoded ahead (``encoded_json``): no JSON value is bytes
            return value.decode()
        return _json_bytes(value).decode()

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else from_json(value)


def _json_bytes(value: Any) -> bytes:
    """JSON with sorted keys, UTF-8."""
    try:
        return orjson.dumps(value, option=_JSON_OPTIONS)
    except orjson.JSONEncodeError:  # beyond orjson (an integer over 64 bits): the stdlib's way
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def encoded_json(value: Any) -> bytes | None:
    """A ``Json`` column's value encoded ahead, as the column would (None stays NULL): bytes,
    which the column writes as they are, and which cross a pipe at the cost of a copy."""
    return None if value is None else _json_bytes(value)


_MICRO = datetime.resolution
metadata = MetaData()


def _time(name: str, nullable: bool = False) -> Column[datetime]:
    return Column(name, UtcMicros, nullable=nullable)


runs = Table(
    "runs", metadata,
    Column("run_id", String, primary_key=True),
    Column("plan_version_id", String, nullable=False),
    Column("config_version_id", String, nullable=False),
    Column("scenario_id", String, nullable=False),
    Column("scenario_name", String, nullable=False),
    Column("scenario_name_lc", String, nullable=False),
    Column("job_id", String, nullable=False),
    Column("seed", Integer),
    Column("replication", Integer),
    _time("started_at"), _time("finished_at"),
    Column("duration_ms", Float, nullable=False),
    Column("status", String, nullable=False),
    Column("stub", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("summary", Json, nullable=False),
    Column("fill_rate", Float),
    Column("profit_total", Float),
    Column("results", Json),
    Column("approved", Boolean, nullable=False, server_default="0"),
    Column("approved_by", String),
    _time("approved_at", nullable=True),
    Column("archived", Boolean, nullable=False, server_default="0"),
    Column("archived_by", String),
    _time("archived_at", nullable=True),
)
SORT_COLUMNS = {
    "started_at": runs.c.started_at,
    "finished_at": runs.c.finished_at,
    "duration_ms": runs.c.duration_ms,
    "fill_rate": func.coalesce(runs.c.fill_rate, NULL_SORT),
    "profit_total": func.coalesce(runs.c.profit_total, NULL_SORT),
}
for _name, _expr in SORT_COLUMNS.items():
    # The default order also carries the scenario name: a name filter over the newest runs
    # is then tested inside the index, without reading each run's row.
    _covered = [runs.c.scenario_name_lc] if _name == "started_at" else []
    Index(f"ix_runs_by_{_name}", _expr, runs.c.run_id, *_covered)
    Index(f"ix_runs_by_status_{_name}", runs.c.status, _expr, runs.c.run_id)
for _col in ("plan_version_id", "config_version_id", "scenario_id", "scenario_name_lc"):
    Index(f"ix_runs_{_col}", runs.c[_col], runs.c.started_at, runs.c.run_id, runs.c.status)

# Retention walks the oldest runs that are not approved (approved runs are never dropped); the
# history's archived filter and the approved filter read their (few) runs by these.
Index("ix_runs_by_approved_started_at", runs.c.approved, runs.c.started_at, runs.c.run_id)
Index("ix_runs_archived", runs.c.archived, runs.c.started_at, runs.c.run_id)

WRITER_INDEXES = [index for index in runs.indexes
                  if index.name in ("ix_runs_by_started_at", "ix_runs_by_approved_started_at")]

plans = Table(
    "plans", metadata,
    Column("plan_version_id", String, primary_key=True),
    Column("config_version_id", String, nullable=False, index=True),
    Column("base_scenario_id", String, nullable=False, index=True),
    Column("scenario_name", String, nullable=False),
    Column("job_id", String, nullable=False),
    Column("simulation_job_id", String),
    Column("status", String, nullable=False),
    Column("seed", Integer),
    Column("options", Json, nullable=False),
    Column("config", Json),
    Column("artifacts", Json, nullable=False),
    Column("kpis", Json, nullable=False),
    Column("overrides", Json, nullable=False, server_default="[]"),
    Column("config_changes", Json, nullable=False, server_default="[]"),
    Column("effective_config_sha256", String),
    Column("replications", Integer, nullable=False, server_default="1"),
    Column("warnings", Json, nullable=False, server_default="[]"),
    _time("created_at"),
    Index("ix_plans_created", "created_at", "plan_version_id"),
)

jobs = Table(
    "jobs", metadata,
    Column("job_id", String, primary_key=True),
    Column("job_type", String, nullable=False),
    Column("state", String, nullable=False),
    Column("progress", Float, nullable=False, server_default="0"),
    Column("step", String, nullable=False, server_default=""),
    Column("message", Text, nullable=False, server_default=""),
    Column("plan_version_id", String),
    Column("run_id", String),
    _time("created_at"), _time("updated_at"),
    Index("ix_jobs_created", "created_at", "job_id"),
    Index("ix_jobs_state", "state", "created_at", "job_id"),
    Index("ix_jobs_type", "job_type", "created_at", "job_id"),
)

scenarios = Table(
    "scenarios", metadata,
    Column("scenario_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("tag", String, nullable=False, server_default=""),
    Column("parent_id", String),
    Column("locked", Boolean, nullable=False, server_default="0"),
    Column("locked_by", String),
    _time("locked_at", nullable=True),
    Column("archived", Boolean, nullable=False, server_default="0"),
    Column("archived_by", String),
    _time("archived_at", nullable=True),
    Column("overrides", Json, nullable=False, server_default="[]"),
    _time("created_at"), _time("updated_at"),
)

configs = Table(
    "configs", metadata,
    Column("config_version_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("version_tag", String, nullable=False),
    Column("sha256", String, nullable=False),
    Column("planning_days", Integer, nullable=False),
    Column("counts", Json, nullable=False),
    Column("warnings", Json, nullable=False),
    Column("document", Json, nullable=False),
    _time("created_at"),
    Index("ix_configs_created", "created_at", "config_version_id"),
)

aggregates = Table(
    "aggregates", metadata,
    Column("job_id", String, primary_key=True),
    Column("run_id", String, nullable=False, index=True),
    Column("plan_version_id", String, nullable=False, index=True),
    Column("bucket", String, nullable=False),
    Column("group_by", String, nullable=False),
    Column("status", String, nullable=False),
    Column("artifact", Json),
    Column("rows", Integer),
    _time("requested_at", nullable=True), _time("completed_at", nullable=True),
)

baselines = Table(
    "baselines", metadata,  # one baseline run per scenario (BaselinePromoted); the one it replaced stays approved
    Column("scenario_id", String, primary_key=True),
    Column("run_id", String, nullable=False, index=True),
    Column("promoted_by", String, nullable=False),
    _time("promoted_at"),
)

run_notes = Table(
    "run_notes", metadata,  # appended, never edited (RunNoteAdded)
    Column("note_id", String, primary_key=True),
    Column("run_id", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String, nullable=False),
    _time("created_at"),
    Index("ix_run_notes_run", "run_id", "created_at", "note_id"),
)

run_tags = Table(
    "run_tags", metadata,  # (RunTagsChanged) the history's tag filter reads runs by their tag
    Column("run_id", String, primary_key=True),
    Column("tag", String, primary_key=True),
    Column("tagged_by", String, nullable=False),
    _time("tagged_at"),
    Index("ix_run_tags_tag", "tag", "run_id"),
)

job_events = Table(
    "job_events", metadata,  # every change of a job as it came, in log order: the job page's steps and messages
    Column("job_id", String, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("state", String, nullable=False),
    Column("progress", Float, nullable=False),
    Column("step", String, nullable=False),
    Column("message", Text, nullable=False),
    _time("at"),
    sqlite_with_rowid=False,
)

plan_reviews = Table(
    "plan_reviews", metadata,  # a plan's review state (PlanReviewOpened, PlanSubmitted/Approved/Rejected)
    Column("plan_version_id", String, primary_key=True),
    Column("base_scenario_id", String, nullable=False, index=True),
    Column("state", String, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("source", Json, nullable=False),
    Column("opened_by", String, nullable=False),
    _time("opened_at"),
    Column("last_decision", String),
    Column("submitted_by", String), _time("submitted_at", nullable=True),
    Column("submitted_note", Text, nullable=False, server_default=""),
    Column("approved_by", String), _time("approved_at", nullable=True),
    Column("rejected_by", String), _time("rejected_at", nullable=True),
    Column("reason", Text, nullable=False, server_default=""),
    Column("superseded_by", String), _time("superseded_at", nullable=True),
)


def _psi_cells(name: str, *columns: Column[Any]) -> Table:
    """A level of the PSI: quantities in millionths (exact sums), the pipeline's beside the current."""
    return Table(name, metadata, Column("plan_version_id", String, primary_key=True), *columns,
                 *(Column(f"{m}{suffix}", Integer, nullable=False) for m in ("demand", "supply")
                   for suffix in ("", "_original")),
                 Column("demand_locked", Boolean, nullable=False, server_default="0"),
                 Column("supply_locked", Boolean, nullable=False, server_default="0"),
                 Column("edited_by", String), _time("edited_at", nullable=True), sqlite_with_rowid=False)


psi_aggregate = _psi_cells(
    "psi_aggregate", Column("family", String, primary_key=True), Column("period", String, primary_key=True),
    Column("family_index", Integer, nullable=False), Column("period_index", Integer, nullable=False))
psi_detail = _psi_cells(
    "psi_detail", Column("sku", String, primary_key=True), Column("week", String, primary_key=True),
    Column("sku_index", Integer, nullable=False), Column("week_index", Integer, nullable=False),
    Column("family", String, nullable=False), Column("period", String, nullable=False),
    Column("opening", Integer, nullable=False))
Index("ix_psi_detail_order", psi_detail.c.plan_version_id, psi_detail.c.sku_index, psi_detail.c.week_index)
Index("ix_psi_detail_group", psi_detail.c.plan_version_id, psi_detail.c.family, psi_detail.c.period)

psi_weights = Table(
    "psi_weights", metadata,  # PlanPsiWeightsSet: a row's weight for distributions by weights
    Column("plan_version_id", String, primary_key=True),
    Column("key", String, primary_key=True),
    Column("weight", Float, nullable=False),
    Column("set_by", String, nullable=False),
    _time("set_at"),
)

psi_audit = Table(
    "psi_audit", metadata,  # every review fact of a plan, as it came: the audit trail
    Column("plan_version_id", String, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("event_type", String, nullable=False),
    _time("at"),
    Column("actor", String, nullable=False),
    Column("note", Text, nullable=False),
    Column("level", String),
    Column("revision", Integer, nullable=False),
    Column("cells", Integer, nullable=False),
    Column("keys", Json, nullable=False),
    Column("payload", Json, nullable=False),
    sqlite_with_rowid=False,
)

plan_revisions = Table(
    "plan_revisions", metadata,  # PlanRevised: the supply plan stored for a revision
    Column("plan_version_id", String, primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("supply_plan", Json, nullable=False),
    Column("sha256", String, nullable=False),
    _time("at"),
)

simulation_requests = Table(
    "simulation_requests", metadata,  # the supply plan each simulation job was asked to execute
    Column("job_id", String, primary_key=True),
    Column("plan_version_id", String, nullable=False, index=True),
    Column("supply_plan_sha256", String),
)

imported_facts = Table(
    "imported_facts", metadata,  # LegacyRowImported: the original's row each imported run, plan, scenario, config came from
    Column("id", String, primary_key=True),
    Column("kind", String, primary_key=True),
    Column("source", String, nullable=False),
    Column("source_file", String, nullable=False),
    Column("imported_from", String, nullable=False),
    Column("source_table", String, nullable=False),
    Column("original_id", String, nullable=False),
    sqlite_with_rowid=False,
)

imported_sources = Table(
    "imported_sources", metadata,  # the original databases imported (a few): the history's original-id filter reads them
    Column("source", String, primary_key=True),
    Column("source_file", String, nullable=False),
)

deleted_runs = Table(
    "deleted_runs", metadata,  # who deleted a run and when: its page says so rather than "does not exist"
    Column("run_id", String, primary_key=True),
    Column("deleted_by", String, nullable=False),
    _time("deleted_at"),
)

finished_runs = Table(
    "finished_runs", metadata,  # every run that has its final fact, kept when the run is deleted or dropped
    Column("run_id", String, primary_key=True),
    sqlite_with_rowid=False,
)

pending_object_deletions = Table(
    # Stored objects nothing needs any more (``storage``): a run's results and aggregates once the
    # run is deleted or dropped, a plan's artifacts once it has no run left. Removed from the
    # object store a grace period after ``since``; the row goes with the StoredObjectsDeleted fact.
    "pending_object_deletions", metadata,
    Column("bucket", String, primary_key=True),
    Column("key", String, primary_key=True),
    Column("reason", String, nullable=False),
    Column("run_id", String),
    Column("plan_version_id", String, index=True),
    _time("since"),
    sqlite_with_rowid=False,
)

checkpoint = Table(
    "checkpoint", metadata,
    Column("projection", String, primary_key=True),
    Column("last_seq", Integer, nullable=False),
    Column("schema_version", Integer, nullable=False),
)

dead_letters = Table(
    "dead_letters", metadata,
    Column("seq", Integer, primary_key=True),
    Column("subject", String, nullable=False),
    Column("error", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("attempts", Integer, nullable=False),
    _time("recorded_at"),
)

counters = Table(
    "counters", metadata,
    Column("name", String, primary_key=True),
    Column("value", Integer, nullable=False),
)


def _file_pragmas(dbapi_conn: Any, _record: Any) -> None:
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=OFF", "busy_timeout=5000",
                   "cache_size=-65536", "mmap_size=268435456", *wal.PRAGMAS):
        dbapi_conn.execute(f"PRAGMA {pragma}")


def _no_fsync(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA synchronous=OFF")


def _own_transactions(engine: Engine) -> None:
    """pysqlite's implicit BEGIN breaks SAVEPOINT; SQLAlchemy emits BEGIN itself instead."""

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def open_engine(backend: Literal["db", "memory"], path: str = ":memory:", *, throwaway: bool = False) -> Engine:
    """``db``: the SQLite file at ``path`` (WAL: readers never wait for the writer).
    ``memory``: one in-memory database on one shared DBAPI connection, so every connection
    sees the same data; use one connection at a time (tests, a single-threaded service).
    ``throwaway``: a file being rebuilt, used only once complete: commits skip fsync."""
    if backend == "memory":
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif backend == "db":
        engine = create_engine(f"sqlite:///{path}")
        event.listen(engine, "connect", _file_pragmas)
        if throwaway:
            event.listen(engine, "connect", _no_fsync)
    else:
        raise ValueError(f"unknown registry backend {backend!r}")
    _own_transactions(engine)
    return engine


def create_schema(engine: Engine, *, indexes: bool = True) -> None:
    """Every table and index. ``indexes=False`` (a file about to be filled by a replay) creates
    the tables and only the index the writer itself reads by (retention's oldest runs);
    ``create_indexes`` then builds the others in one pass each, much faster than keeping them
    up to date row by row."""
    if indexes:
        with engine.begin() as conn:
            had_finished_runs = inspect(conn).has_table(finished_runs.name)
        metadata.create_all(engine)
        if not had_finished_runs:
            _backfill_finished_runs(engine)
        return
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            conn.execute(CreateTable(table))
        for index in WRITER_INDEXES:
            index.create(conn)


def _backfill_finished_runs(engine: Engine) -> None:
    """A read model from before ``finished_runs``: the runs it holds or deleted have their final
    fact. (Runs retention dropped from it are not known; a rebuild knows them.)"""
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT OR IGNORE INTO finished_runs (run_id) "
                             "SELECT run_id FROM runs UNION SELECT run_id FROM deleted_runs")


def outdated(engine: Engine) -> int | None:
    """The older ``READ_MODEL_VERSION`` the read model was projected by; None when it is current
    or nothing was projected yet."""
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT min(schema_version) FROM checkpoint").scalar()
    return version if version is not None and version < READ_MODEL_VERSION else None


def reset(engine: Engine) -> None:
    """Every table dropped and created again: the read model starts over from checkpoint 0."""
    metadata.drop_all(engine)
    create_schema(engine)


def create_indexes(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            for index in table.indexes:
                conn.execute(CreateIndex(index, if_not_exists=True))


def make_durable(engine: Engine) -> None:
    """Sync what was committed to disk, the WAL checkpointed into the file (a ``throwaway``
    file before it is swapped in)."""
    raw = engine.raw_connection()
    try:
        sqlite = raw.driver_connection
        level = sqlite.execute("PRAGMA synchronous").fetchone()[0]
        sqlite.execute("PRAGMA synchronous=FULL")
        sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sqlite.execute(f"PRAGMA synchronous={int(level)}")
    finally:
        raw.close()


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics (cheap, sampled): lets it pick index vs sort well."""
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA analysis_limit=1000")
        conn.exec_driver_sql("ANALYZE")
