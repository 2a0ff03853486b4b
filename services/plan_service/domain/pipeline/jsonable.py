"""numpy → JSON-able lists: rounded to 6 decimals, unlimited (``inf``) as null."""

import numpy as np


def numbers(values: np.ndarray) -> list:
    rounded = np.round(np.asarray(values, dtype=float), 6) + 0.0
    finite = np.isfinite(rounded)
    if finite.all():
        return rounded.tolist()
    boxed = rounded.astype(object)
    boxed[~finite] = None
    return boxed.tolist()


def number(value: float) -> float | None:
    return round(float(value), 6) + 0.0 if np.isfinite(value) else None
