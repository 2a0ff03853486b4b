"""What an edit or a reconcile of a plan's PSI changes, decided against the plan's grid without
changing it (the caller records the fact, then folds it). Pure.

Edits skip locked cells. An aggregate edit is spread over the unlocked detail cells below it
(``spread``: exact total, locked cells untouched, rounded, the remainder to the largest cell);
a detail edit rolls up into its aggregate cell unless that cell is locked. A reconcile makes
each aggregate cell and the sum of its detail agree: a locked aggregate cell keeps its value
and its unlocked detail is rebalanced by the detail's current values; any other aggregate cell
becomes the sum of its detail. A total that locked cells make impossible refuses the whole
request, naming the cells.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from contracts.psi import PsiDistribution, PsiRounding
from services.plan_service.domain.psi.grid import Cell, PsiGrid
from services.plan_service.domain.psi.spread import Impossible, spread, step_units, units

MAX_CELLS = 10_000
"""Most cells one fact sets: its event stays well under the bus's 1 MiB."""


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Outcome:
    cells: list[tuple[Cell, int]] = field(default_factory=list)
    distributed: list[tuple[Cell, int]] = field(default_factory=list)
    rolled_up: list[tuple[Cell, int]] = field(default_factory=list)
    skipped: list[Cell] = field(default_factory=list)
    locked: list[Cell] = field(default_factory=list)
    unlocked: list[Cell] = field(default_factory=list)
    groups: int = 0

    @property
    def changes_values(self) -> bool:
        return bool(self.cells or self.distributed or self.rolled_up)


class _Draft:
    """New values over the grid's, not yet applied."""

    def __init__(self, grid: PsiGrid) -> None:
        self.grid, self.new = grid, {}

    def get(self, cell: Cell) -> int:
        return self.new.get(cell, self.grid.get(cell))

    def total(self, cells: Sequence[Cell]) -> int:
        return sum(self.get(c) for c in cells)


def decide_edit(grid: PsiGrid, edits: Sequence[tuple[Cell, float | None]], *, lock: str | None,
                lock_cells: Sequence[Cell], distribution: PsiDistribution, auto: bool) -> Outcome:
    out, draft = Outcome(), _Draft(grid)
    for cell, value in edits:
        if cell in grid.locked:
            out.skipped.append(cell)
            continue
        draft.new[cell] = grid.original(cell) if value is None else units(value)
        out.cells.append((cell, draft.new[cell]))
    edited = [c for c, _ in out.cells]
    if auto:
        for cell in (c for c in edited if c[0] == "aggregate"):
            out.distributed += _distribute(draft, cell, distribution)
        above = {a for c in edited if c[0] == "det" and (a := grid.above(c)) is not None and a not in grid.locked}
        for cell in sorted(above):
            if (total := draft.total(grid.below(cell))) != draft.get(cell):
                draft.new[cell] = total
                out.rolled_up.append((cell, total))
    if lock is not None:
        targets = list(dict.fromkeys([*(r for c, _ in edits for r in grid.row_cells(c)), *lock_cells]))
        out.locked = [c for c in targets if c not in grid.locked and lock in ("lock", "toggle")]
        out.unlocked = [c for c in targets if c in grid.locked and lock in ("unlock", "toggle")]
    _bounded(out)
    return out


def _distribute(draft: _Draft, cell: Cell, distribution: PsiDistribution) -> list[tuple[Cell, int]]:
    grid = draft.grid
    below = grid.below(cell)
    weights = _weights(draft, below, distribution.weight_mode)
    step, mode = _rounding(distribution.rounding.get(cell[1]))  # type: ignore[call-overload]
    try:
        values = spread(draft.get(cell), [draft.get(c) for c in below], weights, [c in grid.locked for c in below],
                        step, mode)
    except Impossible as exc:
        raise Refused("not_allowed", f"{_name(grid, cell)} cannot be distributed: {exc}") from None
    changed = [(c, v) for c, v in zip(below, values) if v != draft.get(c)]
    draft.new.update(changed)
    return changed


def _weights(draft: _Draft, below: list[Cell], mode: str) -> list[float | int]:
    if mode == "equal":
        return [1] * len(below)
    if mode in ("demand", "supply"):
        return [draft.get(("det", mode, c[2], c[3])) for c in below]
    if mode == "weights":
        given = [draft.grid.weights.get(draft.grid.row_key(c), 0.0) for c in below]
        if any(given):
            return given
    return [draft.get(c) for c in below]


def _rounding(rounding: PsiRounding | None) -> tuple[int, str]:
    return (1, "nearest") if rounding is None else (step_units(rounding.step), rounding.mode)


def decide_reconcile(grid: PsiGrid, rounding: dict[str, PsiRounding], family: str | None = None) -> Outcome:
    out, draft, problems = Outcome(), _Draft(grid), []
    for cell in grid.aggregate_cells():
        below = grid.below(cell)
        if (family is not None and grid.families[cell[2]] != family) or not below:
            continue
        total, value = draft.total(below), draft.get(cell)
        if total == value:
            continue
        out.groups += 1
        if cell not in grid.locked:
            out.cells.append((cell, total))
            continue
        step, mode = _rounding(rounding.get(cell[1]))
        try:
            values = spread(value, [draft.get(c) for c in below], [draft.get(c) for c in below],
                            [c in grid.locked for c in below], step, mode)  # type: ignore[arg-type]
        except Impossible as exc:
            problems.append(f"{_name(grid, cell)}: {exc}")
            continue
        out.cells += [(c, v) for c, v in zip(below, values) if v != draft.get(c)]
    if problems:
        raise Refused("not_allowed", f"locked cells make {len(problems)} total(s) impossible: " + "; ".join(problems[:5]))
    _bounded(out)
    return out


def _name(grid: PsiGrid, cell: Cell) -> str:
    named = grid.named(cell)
    return f"{named.key} {named.period} {named.measure}"


def _bounded(out: Outcome) -> None:
    count = len(out.cells) + len(out.distributed) + len(out.rolled_up) + len(out.locked) + len(out.unlocked)
    if count > MAX_CELLS:
        raise Refused("validation_failed", f"this changes {count:,} cells, more than {MAX_CELLS:,} at once: "
                                           "edit, lock or reconcile fewer (a family at a time)")
