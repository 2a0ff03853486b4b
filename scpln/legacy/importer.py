"""Reading the source in order (scenarios, configs, plans, runs, run meta) and publishing each
row's objects, facts and marker; rows whose marker (of this source) is in the log already are
skipped. A plan or run whose id (kept as the original's) came already from another source is
skipped too and counted as a conflict: its id names the other database's plan or run here."""

import asyncio
import time
from collections.abc import Iterator
from typing import Any

from nats.js import JetStreamContext

from contracts import subjects
from contracts.events import decode, encode, subject_for
from contracts.legacy import LegacyRowImported
from runtime.log_reader import read_log
from runtime.objects import NatsObjectStore
from scpln.legacy import mapping
from scpln.legacy.mapping import Context, RowImport
from scpln.legacy.source import CONFIG_CHILDREN, LegacySource
from scpln.progress import ProgressBar

BATCH = 200
ORDER = ("scenarios", "canonical_config_versions", "plan_versions", "runs", "runs_meta")


def context(src: LegacySource) -> Context:
    ctx = Context(src.source)
    ctx.scenario_names = {r["id"]: r["name"] for r in src.rows("SELECT id, name FROM scenarios")}
    ctx.run_scenarios = {r["run_id"]: r["scenario_id"] for r in src.rows("SELECT run_id, scenario_id FROM runs")}
    if src.has_table("canonical_nodes"):
        for r in src.rows("SELECT config_version_id, node_code, node_type FROM canonical_nodes"):
            ctx.node_types.setdefault(r["config_version_id"], {})[r["node_code"]] = r["node_type"] or ""
    ctx.configs = list(_configs(src, ctx))
    for row in ctx.configs:
        ctx.config_refs[int(row.key)] = row.objects[0].ref()
    return ctx


def _configs(src: LegacySource, ctx: Context) -> Iterator[RowImport]:
    for row in src.rows("SELECT * FROM canonical_config_versions ORDER BY id"):
        children = {t: list(src.rows(f'SELECT * FROM "{t}" WHERE config_version_id = ? ORDER BY id', row["id"]))
                    for t in CONFIG_CHILDREN if src.has_table(t)}
        yield mapping.config(row, children, ctx)


def totals(src: LegacySource) -> dict[str, int]:
    meta = "SELECT count(*) FROM runs_meta m WHERE EXISTS (SELECT 1 FROM runs r WHERE r.run_id = m.run_id)"
    return {"scenarios": src.count("scenarios"), "canonical_config_versions": src.count("canonical_config_versions"),
            "plan_versions": src.count("plan_versions"), "runs": src.count("runs"),
            "runs_meta": int(src.db.execute(meta).fetchone()[0])}


def rows(src: LegacySource, ctx: Context) -> Iterator[RowImport]:
    """Every row to import, in the order facts depend on each other."""
    for row in src.rows("SELECT * FROM scenarios ORDER BY id"):
        yield mapping.scenario(row, ctx)
    yield from ctx.configs
    runs_of: dict[str, list[str]] = {}
    for r in src.rows("SELECT run_id, plan_version_id FROM runs WHERE plan_version_id IS NOT NULL "
                      "ORDER BY started_at, run_id"):
        runs_of.setdefault(r["plan_version_id"], []).append(r["run_id"])
    for row in src.rows("SELECT * FROM plan_versions ORDER BY created_at, version_id"):
        artifacts = list(src.rows("SELECT name, json_text FROM plan_artifacts WHERE version_id = ? ORDER BY name",
                                  row["version_id"]))
        yield mapping.plan(row, artifacts, runs_of.get(row["version_id"], []), ctx)
    for row in src.rows("SELECT run_id, started_at, duration_ms, summary, scenario_id, config_version_id, "
                        "plan_version_id, plan_job_id, results, daily_profit_loss, cost_trace FROM runs "
                        "ORDER BY started_at, run_id"):
        yield mapping.run(row, ctx)
    for row in src.rows("SELECT m.* FROM runs_meta m JOIN runs r ON r.run_id = m.run_id ORDER BY m.run_id"):
        yield mapping.run_meta(row, ctx)


GLOBAL_KEYS = ("plan_versions", "runs", "runs_meta")
"""Tables whose rows keep their key as their id here: one key is one plan or run, whatever the source."""


async def imported_rows(js: JetStreamContext) -> dict[tuple[str, str], set[str]]:
    """Per (table, key) the sources whose marker of that row is in the log: a fold of LegacyRowImported."""
    done: dict[tuple[str, str], set[str]] = {}
    async for batch in read_log(js, filter_subjects=(subjects.LEGACY_ROW_IMPORTED,)):
        for msg in batch:
            marker = decode(msg.data, msg.subject)
            if isinstance(marker, LegacyRowImported):
                done.setdefault((marker.table, marker.source_key), set()).add(marker.source)
    return done


def standing(row: RowImport, done: dict[tuple[str, str], set[str]]) -> str | None:
    """"already" when this source's row is in, "conflict" when another source's row of the same
    plan or run id is, None when the row is to be imported."""
    sources = done.get((row.table, row.key), set())
    if row.source in sources:
        return "already"
    if sources and row.table in GLOBAL_KEYS:
        return "conflict"
    return None


class Publisher:
    """Facts of a batch of rows published together (in order, acknowledged), then their markers."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js, self.objects = js, NatsObjectStore(js)

    async def _publish(self, event: Any) -> None:
        await self.js.publish(subject_for(event), encode(event), timeout=30, stream=subjects.STREAM_NAME,
                              headers={"Nats-Msg-Id": str(event.event_id)})

    async def write(self, batch: list[RowImport], sha256: str, source_file: str) -> None:
        stored = [o for row in batch for o in row.objects]
        firsts = {o.bucket: o for o in reversed(stored)}.values()
        for o in firsts:  # the first write to a bucket may create it: alone
            await self.objects.put(o.name, o.bucket, o.key, o.data, o.content_type)
        await asyncio.gather(*(self.objects.put(o.name, o.bucket, o.key, o.data, o.content_type)
                               for o in stored if o not in firsts))
        await asyncio.gather(*(self._publish(e) for row in batch for e in row.events))
        await asyncio.gather(*(self._publish(row.marker(sha256, source_file)) for row in batch))


async def run_import(src: LegacySource, js: JetStreamContext | None, *, dry_run: bool,
                     progress: ProgressBar | None = None) -> dict[str, Any]:
    """Import (or, with ``dry_run``, count) every row not imported yet. Returns per table
    how many rows were there, were imported and were already in, the id mapping, and rows/s."""
    ctx = context(src)
    total = totals(src)
    done = await imported_rows(js) if js is not None else {}
    report: dict[str, Any] = {t: {"rows": total[t], "imported": 0, "already": 0, "conflicts": 0, "events": 0}
                              for t in ORDER}
    mapping_shown: dict[str, str] = {}
    conflicts: dict[str, list[str]] = {}
    publisher = Publisher(js) if js is not None and not dry_run else None
    started, seen, batch = time.monotonic(), 0, []
    for row in rows(src, ctx):
        seen += 1
        if row.table in ("scenarios", "canonical_config_versions"):
            mapping_shown[f"{row.table}/{row.key}"] = next(iter(row.ids.values()))
        if (state := standing(row, done)) == "already":
            report[row.table]["already"] += 1
        elif state == "conflict":
            report[row.table]["conflicts"] += 1
            for other in sorted(done[(row.table, row.key)]):
                conflicts.setdefault(other or "(before sources)", []).append(f"{row.table}/{row.key}")
        else:
            report[row.table]["imported"] += 1
            report[row.table]["events"] += len(row.events) + 1
            batch.append(row)
        if publisher is not None and len(batch) >= BATCH:
            await publisher.write(batch, src.sha256, src.path.name)
            batch = []
        if progress is not None:
            progress.update(seen, sum(total.values()), time.monotonic() - started)
    if publisher is not None and batch:
        await publisher.write(batch, src.sha256, src.path.name)
    if progress is not None:
        progress.update(seen, sum(total.values()), time.monotonic() - started, force=True)
        progress.close()
    elapsed = time.monotonic() - started
    return {"tables": report, "source": src.source, "ids": mapping_shown, "rows": seen,
            "conflicts": {other: {"rows": len(keys), "first": keys[:5]} for other, keys in conflicts.items()}, "seconds": round(elapsed, 3),
            "rows_per_s": round(seen / elapsed, 1) if elapsed > 0 else None}
