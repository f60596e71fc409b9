"""A posterior file: parameter sets (of a calibration, say), for `ladder run --posterior`.

A CSV file whose columns are `drawn:<path>` (or plain `<path>`), one per number of the
scenario that is a distribution, and whose rows are parameter sets; other columns (`run`,
`discrepancy`, `weight`) are ignored, except that a `weight` column weighs the rows. A run with
a posterior draws one row per run (uniformly, or by weight) from its own stream, and takes
that row's value for each listed path in place of a draw from the file's distribution; every
number the posterior does not list is drawn from the file as usual. So the posterior carries
the joint dependence the calibration found between the parameters.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .access import read_input
from .check import suggest

IGNORED = ("run", "discrepancy", "weight")


@dataclass(frozen=True)
class Posterior:
    """Parameter sets: `values[i][j]` is set i's value of `paths[j]`; `weights` sum to 1."""

    paths: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]
    weights: tuple[float, ...]
    path: str = ""
    sha256: str = ""


def read_posterior(path: str | Path, distributions: set[str]) -> Posterior:
    """Read a posterior file, checked against the scenario's distributions' paths.

    Raises:
        InputError: the file is not a readable CSV of numbers, names a path that is not a
            distribution of the scenario (with the nearest), or holds no row.
    """
    data = read_input(Path(path))
    text = data.decode("utf-8", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        raise InputError(f"{path}: a posterior file needs a header and at least one row")
    head = [h.strip() for h in rows[0]]
    cols = [(j, h.removeprefix("drawn:")) for j, h in enumerate(head) if h not in IGNORED]
    for _, name in cols:
        if name not in distributions:
            raise InputError(f"{path}:1: column {name!r} is not a distribution of the scenario"
                             f"{suggest(name, distributions)} (a posterior sets numbers the "
                             "file draws per run; `ladder params` lists them)")
    if not cols:
        raise InputError(f"{path}:1: no column names a distribution of the scenario")
    weight = head.index("weight") if "weight" in head else None
    values, weights = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        try:
            values.append(tuple(float(row[j]) for j, _ in cols))
            weights.append(float(row[weight]) if weight is not None else 1.0)
        except (ValueError, IndexError):
            raise InputError(f"{path}:{line}: expected a number in every column") from None
        if not all(math.isfinite(v) for v in values[-1]) or weights[-1] < 0:
            raise InputError(f"{path}:{line}: values must be finite and weights >= 0")
    total = sum(weights)
    if not values or total <= 0:
        raise InputError(f"{path}: no parameter set with a positive weight")
    return Posterior(tuple(name for _, name in cols), tuple(values),
                     tuple(w / total for w in weights), str(path),
                     hashlib.sha256(data).hexdigest())
