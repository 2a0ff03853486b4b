"""The gateway under concurrency: ``GET /runs`` at 100,000 runs with 32 concurrent clients,
against a static asset of the same server in the same run (issue 19, item 5).

    .venv/bin/python bench/gateway_concurrency.py [--runs 100000] [--clients 32] [--seconds 3] [--rounds 5]

Fills the registry with ``--runs`` runs (bench/gateway.py's filling), starts the whole system
(``scpln up``, loopback only) and signs in with a token. Each round runs, in turn, ``--clients``
keep-alive connections for ``--seconds`` (at most ``--max-requests`` requests) against:

- ``GET /static/app.css`` (the baseline: no bus, no identity);
- ``GET /runs`` (the registry's first page, its reply passed through);
- ``GET /runs`` with ``If-None-Match`` (the ETag of the previous answer: 304, asking the
  registry only for its position).

The clients are plain asyncio connections writing HTTP/1.1 by hand (a request costs the client
a few microseconds, so the server's cost is what is measured; an httpx client costs about as
much as the route). Every answer's status is checked. Prints each case's requests per second
and p50/p99 latency, median and min–max over the rounds, and the ratio of ``GET /runs`` to the
static asset per round. Goals: ratio >= 0.5 and p99 <= 100 ms.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway import fill_registry

from tests.e2e.system import start_system, stop_system

GOAL_RATIO, GOAL_P99_MS = 0.5, 100.0
STATIC = "/static/app.css"
RUNS = "/runs"


@dataclass
class Case:
    name: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    rps: float
    p50_ms: float
    p99_ms: float


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, token: str) -> None:
        self.reader, self.writer = reader, writer
        self.head = f"Host: {host}\r\nAuthorization: Bearer {token}\r\nAccept: */*\r\n"

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.writer.write(f"GET {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        body = await self.reader.readexactly(int(fields.get("content-length", "0")))
        return status, fields, body


async def connect(base_url: str, token: str) -> Connection:
    parts = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=2**22)
    return Connection(reader, writer, parts.netloc, token)


async def load(connections: list[Connection], case: Case, seconds: float, max_requests: int) -> Outcome:
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def client(conn: Connection) -> None:
        while time.perf_counter() < stop_at and len(latencies) < max_requests:
            started = time.perf_counter()
            status, _headers, body = await conn.get(case.path, case.headers)
            latencies.append(time.perf_counter() - started)
            if status != case.status:
                raise AssertionError(f"{case.name}: {status} instead of {case.status}: {body[:200]!r}")

    began = time.perf_counter()
    await asyncio.gather(*(client(conn) for conn in connections))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return Outcome(len(latencies) / elapsed, latencies[len(latencies) // 2] * 1000,
                   latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000)


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


async def bench(base_url: str, token: str, clients: int, seconds: float, rounds: int, max_requests: int) -> None:
    connections = [await connect(base_url, token) for _ in range(clients)]
    status, headers, body = await connections[0].get(RUNS, {})
    assert status == 200, body[:300]
    cases = [Case("static asset " + STATIC, STATIC, 200), Case("GET /runs", RUNS, 200)]
    if etag := headers.get("etag"):
        cases.append(Case("GET /runs, If-None-Match", RUNS, 304, {"If-None-Match": etag}))
    else:
        print("  GET /runs answers without an ETag: no conditional requests")
    results: dict[str, list[Outcome]] = {case.name: [] for case in cases}
    for round_no in range(rounds):
        order = cases[round_no % len(cases):] + cases[:round_no % len(cases)]  # each case first in turn
        for case in order:
            results[case.name].append(await load(connections, case, seconds, max_requests))
    for conn in connections:
        conn.writer.close()
    print(f"\n  {clients} concurrent clients, {rounds} rounds of {seconds:g} s per case; median (min–max) over rounds")
    print(f"  {'case':<34} {'req/s':>18} {'p50 ms':>18} {'p99 ms':>18}")
    for name, outcomes in results.items():
        print(f"  {name:<34} {spread([o.rps for o in outcomes]):>18} {spread([o.p50_ms for o in outcomes], '{:.1f}'):>18}"
              f" {spread([o.p99_ms for o in outcomes], '{:.1f}'):>18}")
    static, runs, *conditional = (results[case.name] for case in cases)
    ratios = [r.rps / s.rps for r, s in zip(runs, static, strict=True)]
    p99 = statistics.median(o.p99_ms for o in runs)
    print(f"\n  GET /runs ÷ static asset, req/s per round: {spread(ratios, '{:.2f}')}   goal >= {GOAL_RATIO}"
          f"  {'met' if statistics.median(ratios) >= GOAL_RATIO else 'NOT met'}")
    print(f"  GET /runs p99: {p99:.1f} ms   goal <= {GOAL_P99_MS:g} ms  {'met' if p99 <= GOAL_P99_MS else 'NOT met'}")
    if conditional:
        ratios = [c.rps / s.rps for c, s in zip(conditional[0], static, strict=True)]
        print(f"  GET /runs with If-None-Match ÷ static asset: {spread(ratios, '{:.2f}')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-requests", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        fill_registry(data / "scpln.db", args.runs)
        system = start_system(data, {"SCPLN_DB": str(data / "scpln.db")})
        try:
            page = system.wait_for("/runs?limit=1", lambda body: body["total"] >= args.runs and body["lag"] == 0)
            print(f"system up; {page['total']:,} runs in the registry, at seq {page['last_seq']}")
            asyncio.run(bench(system.base_url, system.admin_token, args.clients, args.seconds, args.rounds,
                              args.max_requests))
        finally:
            stop_system(system)


if __name__ == "__main__":
    main()
