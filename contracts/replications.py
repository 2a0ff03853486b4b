"""Replications: several runs of one plan, each with its own seed, derived from the plan's seed.

A plan's runs form one numbered stream of replications. Replication ``i`` of a plan whose seed
is ``S`` simulates with ``replication_seed(S, i)``:

- ``i = 0`` is the plan's own seed ``S`` (a plan of one replication runs exactly as before);
- ``i ≥ 1`` is the first 8 bytes of ``sha256("scpln-replication/<S>/<i>")`` (the decimal numbers,
  UTF-8), read big-endian, with the top bit cleared (so it fits a signed 64-bit integer).

The seeds are a pure function of the plan's seed and the index: anyone can recompute them, and
distinct indices give distinct seeds (``replication_seeds`` skips the astronomically unlikely
hash collision so that they always do). ``POST /plans {replications: N}`` runs replications
0..N-1; "Simulate again ×N" runs the next N indices the plan has not used (new seeds), or with
``reproduce`` replications 0..N-1 again (the same seeds, the same results); a request naming a
seed ``T`` runs ``replication_seed(T, 0..N-1)`` outside the plan's stream.
"""

import hashlib

from contracts.envelope import INT64_MAX

REPLICATIONS_MAX = 100
"""At most this many runs per request (``POST /plans``, "Simulate again")."""


def replication_seed(base: int, index: int) -> int:
    """The seed of replication ``index`` (0-based) of a stream whose seed is ``base``."""
    if index < 0:
        raise ValueError(f"a replication index is 0 or more, not {index}")
    if index == 0:
        return base
    digest = hashlib.sha256(f"scpln-replication/{base}/{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & INT64_MAX


def replication_seeds(base: int, start: int, count: int) -> list[tuple[int, int]]:
    """``(index, seed)`` of replications ``start``..``start + count - 1``: distinct seeds, also from
    those of indices below ``start`` (an index whose seed an earlier one already has is skipped,
    which a 64-bit hash makes practically never happen)."""
    taken = {replication_seed(base, i) for i in range(start)}
    found: list[tuple[int, int]] = []
    index = start
    while len(found) < count:
        seed = replication_seed(base, index)
        if seed not in taken:
            taken.add(seed)
            found.append((index, seed))
        index += 1
    return found
