"""Precision mode: how many runs, the stopping rule checked after each round of chunks, and
the `precision` block of the summary that says what it reached.

The rule targets one quantity (`on`): every stage's P(reach) or every stage's P(final), by
the widest Wilson 95% half-width over the scenarios run together, or the differences between
variants (`diff`), which only `ladder compare` can measure: it passes that measure in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .intervals import wilson
from .outcomes import Totals

TARGETS = ("reach", "final", "diff")
NAMES = {"reach": "P(reach)", "final": "P(final)", "diff": "P(reach) difference"}
DIFF_NEEDS_VARIANTS = ("--precision-on diff targets the differences between variants: use it "
                       "with `ladder compare` (`ladder run` takes reach or final)")


@dataclass(frozen=True)
class Plan:
    """How many runs: a fixed number, or chunks until a precision target (or a cap) is met.

    Attributes:
        runs: the fixed number of runs, or the cap (`--max-runs`) in precision mode.
        precision: the largest acceptable half-width of the targeted intervals, or None.
        on: what the target applies to: `reach` (every P(reach)), `final` (every P(final))
            or `diff` (what `measure` returns).
        measure: for `diff`: the widest half-width of the differences, given every
            scenario's totals so far (`sim.analyses.variants` builds it for `compare`).
    """

    runs: int
    precision: float | None = None
    on: str = "reach"
    measure: Callable[[Sequence[Totals]], float] | None = None

    def check(self) -> None:
        """Refuse a target that is not one of TARGETS, or `diff` with nothing to measure."""
        if self.on not in TARGETS:
            raise InputError(f"precision_on must be one of {', '.join(TARGETS)}, got "
                             f"{self.on!r}")
        if self.on == "diff" and self.measure is None:
            raise InputError(DIFF_NEEDS_VARIANTS)

    def widest(self, totals: Sequence[Totals]) -> float:
        """The widest half-width of the targeted quantity, over every scenario."""
        if self.on == "diff":
            assert self.measure is not None  # check() refused it otherwise
            return self.measure(totals)
        return max(half_width(t, self.on) for t in totals)


def half_width(totals: Totals, on: str = "reach") -> float:
    """The largest Wilson 95% half-width over every stage's P(reach) (or P(final))."""
    assert totals.peak is not None and totals.final is not None  # set by the first chunk
    counts = np.cumsum(totals.peak[::-1])[::-1] if on == "reach" else totals.final
    widths = [(hi - lo) / 2 for lo, hi in (wilson(int(c), totals.n) for c in counts)]
    return max(widths)


def block(plan: Plan, totals: Totals, worst: float, diff: float | None = None) -> dict:
    """The summary's `precision`: the target, what it was on and whether it was met, the
    widest targeted half-width, the cap, and the widest half-width of each quantity
    (`diff` only when measured)."""
    assert plan.precision is not None
    widest = {"reach": round(half_width(totals, "reach"), 10),
              "final": round(half_width(totals, "final"), 10)}
    if diff is not None:
        widest["diff"] = round(diff, 10)
    return {"target": plan.precision, "reached": worst <= plan.precision,
            "widest_half_width": round(worst, 10), "max_runs": plan.runs, "on": plan.on,
            "widest": widest}
