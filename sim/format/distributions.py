"""Uncertain numbers: a value given as a distribution is drawn once per run."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from . import vocabulary
from .check import Checker, is_finite, join, listing, suggest, type_name
from .vocabulary import MAX_MAGNITUDE, MAX_WEIGHT, MIN_WEIGHT, NORMAL_REACH
from .yamlio import line_of

DIST_KINDS = frozenset(vocabulary.DIST_KINDS)
DIST_KEYS = vocabulary.keys("distribution")  # the kinds, clip and p


@dataclass(frozen=True, slots=True)
class Dist:
    """A distribution from a file: `kind` with its `args`, optional `clip` and choice `p`.

    `path` is where the file gives it, as `--set` names it (`tension.decay`,
    `events.2.tension.add`): what `ladder run` calls the drawn number in its assumptions
    block. It takes no part in comparing two distributions.
    """

    kind: str
    args: tuple[float, ...]
    clip: tuple[float, float] | None = None
    p: tuple[float, ...] | None = None
    integer: bool = False
    path: str = field(default="", compare=False)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw n values (one per run)."""
        a = self.args
        out: np.ndarray
        if self.kind == "uniform":
            if self.integer:
                out = rng.integers(int(a[0]), int(a[1]), size=n, endpoint=True)
            else:
                out = rng.uniform(a[0], a[1], size=n)
        elif self.kind == "normal":
            out = rng.normal(a[0], a[1], size=n)
        elif self.kind == "beta":
            out = rng.beta(a[0], a[1], size=n)
        else:
            out = rng.choice(np.asarray(a, dtype=float), size=n, p=self.p)
        if self.clip is not None:
            out = np.clip(out, self.clip[0], self.clip[1])
        if self.integer:
            out = np.rint(out).astype(np.int64)
        return out

    def bounds(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take: the natural range, clipped."""
        if self.kind == "uniform":
            lo, hi = self.args
        elif self.kind == "normal":
            lo, hi = (-math.inf, math.inf) if self.args[1] > 0 else (self.args[0],) * 2
        elif self.kind == "beta":
            lo, hi = 0.0, 1.0
        else:
            lo, hi = min(self.args), max(self.args)
        return self._clipped(lo, hi)

    def reach(self) -> tuple[float, float]:
        """Like `bounds`, but a normal reaches only `NORMAL_REACH` standard deviations from its
        mean (numpy's sampler never draws beyond about 14): the range that is checked against
        the bound on magnitudes, so that `normal: [0.8, 0.2]` needs no clip to be an effect."""
        if self.kind != "normal":
            return self.bounds()
        mean, sd = self.args
        return self._clipped(mean - NORMAL_REACH * sd, mean + NORMAL_REACH * sd)

    def _clipped(self, lo: float, hi: float) -> tuple[float, float]:
        if self.clip is not None:
            c_lo, c_hi = self.clip
            lo, hi = min(max(lo, c_lo), c_hi), max(min(hi, c_hi), c_lo)
        return lo, hi

    def mean(self) -> float:
        """The mean before clipping (used for display only)."""
        a = self.args
        if self.kind == "uniform":
            return (a[0] + a[1]) / 2
        if self.kind == "normal":
            return a[0]
        if self.kind == "beta":
            return a[0] / (a[0] + a[1])
        return float(np.dot(a, self.p)) if self.p else sum(a) / len(a)

    def to_data(self) -> dict:
        """The distribution as it would be written in a file."""
        out: dict = {self.kind: list(self.args)}
        if self.clip is not None:
            out["clip"] = list(self.clip)
        if self.p is not None:
            out["p"] = list(self.p)
        return out


Number = float | int | Dist


def describe(value: Number) -> str:
    """Short text for a number or distribution, e.g. `uniform(20, 60)`."""
    if isinstance(value, Dist):
        args = ", ".join(f"{a:g}" for a in value.args)
        return f"{value.kind}({args})"
    return f"{value:g}"


def sample(value: Number, rng: np.random.Generator, n: int, dtype=float) -> np.ndarray:
    """Per-run values of a number or distribution as an array of length n."""
    if isinstance(value, Dist):
        return value.sample(rng, n).astype(dtype)
    return np.full(n, value, dtype=dtype)


def parse_number(
    ck: Checker,
    value: object,
    path: str,
    line: int | None,
    lo: float = -math.inf,
    hi: float = math.inf,
    integer: bool = False,
    uncertain: bool = True,
    least: float = 0.0,
    what: str = "",
) -> Number | None:
    """Read a number or (when `uncertain`) a distribution, checked to stay in [lo, hi].

    Every value also lies within +-`MAX_MAGNITUDE` (a distribution: the `Dist.reach` of its
    draws, and each of its parameters). With `least` > 0 the value is 0 or at least `least`
    (weights and scales: a positive value below it is refused), and `what` ("weight") names
    it in that message.
    """
    if isinstance(value, dict) and uncertain:
        return _parse_dist(ck, value, path, line, _Range(lo, hi, least, what), integer)
    if integer:
        if isinstance(value, bool) or not isinstance(value, int):
            extra = " or a distribution" if uncertain else ""
            ck.error(line, path, f"expected an integer{extra}, got {type_name(value)}")
            return None
    elif isinstance(value, bool) or not isinstance(value, int | float):
        extra = " or a distribution such as {uniform: [0.5, 1.5]}" if uncertain else ""
        ck.error(line, path, f"expected a number{extra}, got {type_name(value)}")
        return None
    if not is_finite(value):
        shown = value if isinstance(value, float) else type_name(value)
        ck.error(line, path, f"expected a finite number, got {shown}")
        return None
    problem = _Range(lo, hi, least, what).refuse(value)
    if problem:
        ck.error(line, path, problem)
        return None
    return value


@dataclass(frozen=True, slots=True)
class _Range:
    """The values a field allows: [lo, hi] within +-MAX_MAGNITUDE, and 0 or >= least."""

    domain_lo: float
    domain_hi: float
    least: float = 0.0
    what: str = ""

    @property
    def lo(self) -> float:
        return max(self.domain_lo, -MAX_MAGNITUDE)

    @property
    def hi(self) -> float:
        return min(self.domain_hi, MAX_MAGNITUDE)

    def expected(self) -> str:
        return f"0 or a number from {self.least:g} to {self.hi:g}"

    def refuse(self, x: float) -> str | None:
        """Why the number x is out of range, or None."""
        if self.least > 0:
            if x != 0 and not self.least <= x <= self.hi:
                return f"{self.what} {x:g} is out of range: expected {self.expected()}"
        elif not self.lo <= x <= self.hi:
            return f"{x:g} is outside the allowed range [{self.lo:g}, {self.hi:g}]"
        return None

    def tiny(self, x: float) -> bool:
        """A positive value below `least` (0 < x < least)."""
        return 0 < x < self.least


def _parse_dist(ck, value, path, line, rng: _Range, integer) -> Dist | None:
    for key in value:
        if key not in DIST_KEYS:
            ck.error(line_of(value, key), join(path, key),
                     f"unknown distribution{suggest(key, DIST_KEYS)} "
                     f"(allowed: {listing(sorted(DIST_KINDS))}, with optional clip, p)")
            return None
    kinds = [k for k in value if k in DIST_KINDS]
    if len(kinds) != 1:
        ck.error(line, path, "expected exactly one of uniform, normal, beta, choice")
        return None
    kind = kinds[0]
    field, kline = join(path, kind), line_of(value, kind)
    args = value[kind]
    if not isinstance(args, list) or not args or not all(
        isinstance(a, int | float) and not isinstance(a, bool) and is_finite(a) for a in args
    ):
        ck.error(kline, field, f"expected a list of finite numbers, got {type_name(args)}")
        return None
    args = tuple(float(a) for a in args)
    shape = {"uniform": "[low, high]", "normal": "[mean, sd]", "beta": "[a, b]"}
    if kind in shape and len(args) != 2:
        ck.error(kline, field, f"expected two numbers {shape[kind]}, got {len(args)}")
        return None
    if any(abs(a) > MAX_MAGNITUDE for a in args):
        big = next(a for a in args if abs(a) > MAX_MAGNITUDE)
        ck.error(kline, field, f"parameter {big:g} is outside the allowed range "
                 f"[{-MAX_MAGNITUDE:g}, {MAX_MAGNITUDE:g}] of distribution parameters")
        return None
    if kind == "uniform" and args[0] > args[1]:
        ck.error(kline, field, f"low {args[0]:g} is above high {args[1]:g}")
        return None
    if kind == "normal" and args[1] < 0:
        ck.error(kline, field, f"standard deviation {args[1]:g} is negative")
        return None
    if kind == "beta" and min(args) <= 0:
        ck.error(kline, field, "beta parameters must be > 0")
        return None
    clip = _pair(ck, value, "clip", path)
    p = None
    if "p" in value:
        if kind != "choice":
            ck.error(line_of(value, "p"), join(path, "p"), "p is only allowed with choice")
            return None
        raw = value["p"]
        ok = isinstance(raw, list) and len(raw) == len(args) and all(
            isinstance(x, int | float) and not isinstance(x, bool) and x >= 0 for x in raw)
        if not ok or abs(sum(raw) - 1) > 1e-9:
            ck.error(line_of(value, "p"), join(path, "p"),
                     f"expected {len(args)} probabilities >= 0 that sum to 1")
            return None
        p = tuple(float(x) for x in raw)
    if clip is False:
        return None
    dist = Dist(kind, args, clip or None, p, integer, re.sub(r"\[(\d+)\]", r".\1", path))
    if integer and kind == "choice" and any(a != int(a) for a in args):
        ck.error(kline, field, "expected whole numbers for an integer field")
        return None
    problem = _refuse_draws(dist, rng)
    if problem:
        ck.error(kline, field, problem)
        return None
    return dist


def _refuse_draws(dist: Dist, rng: _Range) -> str | None:
    """Why the draws of `dist` can leave the field's range, or None."""
    low, high = dist.bounds()
    if low < rng.domain_lo or high > rng.domain_hi:  # the field's own domain: every draw
        hint = "; add clip: [lo, hi] to keep draws inside" if dist.kind == "normal" else ""
        return (f"draws can range over [{low:g}, {high:g}], outside the allowed range "
                f"[{rng.domain_lo:g}, {rng.domain_hi:g}]{hint}")
    r_low, r_high = dist.reach()
    if r_low < rng.lo or r_high > rng.hi:
        how = (f" (a normal counted to {NORMAL_REACH} standard deviations)"
               if dist.kind == "normal" else "")
        return (f"draws can range over [{r_low:g}, {r_high:g}]{how}, outside the allowed "
                f"range [{rng.lo:g}, {rng.hi:g}]")
    values = dist.args if dist.kind == "choice" else (low, high)
    tiny = next((x for x in values if rng.tiny(x)), None)
    if tiny is not None:
        draws = f"can be {tiny:g}" if dist.kind == "choice" else \
            f"can range over [{low:g}, {high:g}]"
        return f"draws {draws}: a {rng.what} is {rng.expected()}"
    return None


def _pair(ck, value, key, path):
    if key not in value:
        return None
    raw = value[key]
    ok = isinstance(raw, list) and len(raw) == 2 and all(
        isinstance(x, int | float) and not isinstance(x, bool) and is_finite(x) for x in raw)
    if not ok or raw[0] > raw[1]:
        ck.error(line_of(value, key), join(path, key), "expected [lo, hi] with lo <= hi")
        return False
    return (float(raw[0]), float(raw[1]))


def parse_weight(ck: Checker, value: object, path: str, line: int | None,
                 what: str = "weight") -> Number | None:
    """A weight or a modifier's scale: 0, or a number from MIN_WEIGHT to MAX_WEIGHT, or a
    distribution whose draws range over such values (see `parse_number`)."""
    return parse_number(ck, value, path, line, 0.0, MAX_WEIGHT, least=MIN_WEIGHT, what=what)
