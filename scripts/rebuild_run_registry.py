"""The original scpln's runbook command, kept working: ``python scripts/rebuild_run_registry.py
[flags]`` runs ``scpln registry rebuild [flags]`` (the same flags: --verify, --until-seq,
--until-time, --out, --db, --nats-url, --maintenance…) and says so first."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scpln.cli import main


def run(argv: list[str]) -> int:
    print(f"rebuild_run_registry.py runs: scpln registry rebuild {' '.join(argv)}".rstrip(), flush=True)
    return main(["registry", "rebuild", *argv])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
