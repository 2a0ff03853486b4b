"""A generated original-scpln RunRegistry database of N runs (the schema of a given one, e.g.
../shared/seed/legacy-small.db), and the import's throughput on it.

    .venv/bin/python bench/legacy_db.py generate --runs 100000 --out /tmp/legacy-100k.db
    .venv/bin/scpln legacy import --db /tmp/legacy-100k.db      # against a running system

Runs are spread over scenarios, configs and plans like the original's (several runs per plan,
one in ten without a plan: the retired scenario-run path), a third with a runs_meta row
(approved, baseline per scenario, archived, notes). Summaries are the template DB's; daily
results are empty arrays (``results`` is the bulk of a real file and the import does not carry
it over). Each ``--seed`` gives another database: its rows were created at other times (so its
source key differs) and its plan and run ids are its own, while its integer ids (scenarios 1..,
config versions 1..) are the same as every other's, as two installations of the original have."""

import argparse
import json
import random
import shutil
import sqlite3
import uuid
from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "legacy-small.db"


def generate(template: Path, out: Path, runs: int, *, plans_per_scenario: int = 50, seed: int = 7) -> None:
    """``out``: the template's schema and its scenarios and configs, with ``runs`` runs."""
    rng = random.Random(seed)
    out.unlink(missing_ok=True)
    shutil.copyfile(template, out)
    db = sqlite3.connect(out)
    summaries = [json.loads(s) for (s,) in db.execute("SELECT summary FROM runs")]
    configs = [c for (c,) in db.execute("SELECT id FROM canonical_config_versions")]
    for table in ("runs", "runs_meta", "plan_versions", "plan_artifacts", "jobs", "plan_kpis", "plan_series"):
        db.execute(f'DELETE FROM "{table}"')
    shift = seed * 86_400_000  # a day per seed: the database was created at another time than its template
    for table in ("scenarios", "canonical_config_versions"):
        db.execute(f'UPDATE "{table}" SET created_at = created_at + ?, updated_at = updated_at + ?', (shift, shift))
    scenarios = max(2, runs // 2000)
    db.executemany("INSERT OR IGNORE INTO scenarios (id, name, parent_id, tag, description, locked, created_at, "
                   "updated_at) VALUES (?, ?, 1, 'gen', '', ?, 1796605811346, 1796605811346)",
                   [(i, f"generated-{i}", int(i % 5 == 0)) for i in range(3, scenarios + 1)])
    plans = max(1, runs // 4)
    plan_rows = [(f"vgen{seed}-{p:07d}", 1796605867766 + p, rng.randint(1, scenarios), rng.choice(configs)) for p in range(plans)]
    db.executemany("INSERT INTO plan_versions (version_id, created_at, base_scenario_id, status, config_version_id) "
                   "VALUES (?, ?, ?, 'executed', ?)", plan_rows)
    run_rows, meta_rows, baseline_of = [], [], {}
    for n in range(runs):
        run_id = uuid.UUID(int=rng.getrandbits(128)).hex
        summary = dict(rng.choice(summaries))
        if n % 10 == 0:
            run_id, pv, sid, cfg = str(uuid.UUID(int=rng.getrandbits(128))), None, rng.randint(1, scenarios), rng.choice(configs)
            summary.pop("_plan_version_id", None)
        else:
            pv, _, sid, cfg = (p := plan_rows[rng.randrange(plans)])[0], p[1], p[2], p[3]
            summary["_plan_version_id"] = pv
        started = 1796605838569 + n * 1000
        run_rows.append((run_id, started, rng.randint(5, 500), "canonical-1.0", json.dumps(summary), started, started,
                         sid, cfg, pv))
        if n % 3 == 0:
            approved = n % 6 == 0
            baseline = approved and sid not in baseline_of
            baseline_of.setdefault(sid, run_id) if baseline else None
            meta_rows.append((run_id, started + 5000 if approved else None, "gen.approver" if approved else None,
                              int(baseline), int(n % 9 == 0), f"note {n}" if n % 12 == 0 else None))
    db.executemany("INSERT INTO runs (run_id, started_at, duration_ms, schema_version, summary, created_at, updated_at, "
                   "scenario_id, config_version_id, plan_version_id, results, daily_profit_loss, cost_trace) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]', '[]')", run_rows)
    db.executemany("INSERT INTO runs_meta (run_id, approved_at, approved_by, baseline, archived, note) "
                   "VALUES (?, ?, ?, ?, ?, ?)", meta_rows)
    db.commit()
    db.execute("VACUUM")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["generate"])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--template", type=Path, default=SEED)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7, help="another seed, another database (same integer ids)")
    args = parser.parse_args()
    generate(args.template, args.out, args.runs, seed=args.seed)
    print(f"wrote {args.out}: {args.runs} runs ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
