"""With no horizon: where the runs of an absorbing Markov chain end, and when, checked.

`sim.analyses.exact` runs a scenario's chain to the horizon; `absorb` continues from the
distribution x it reaches, with the last transition matrix P forever: P(a run ends in each
absorbing state), P(it is never absorbed, caught in states it never leaves), and the expected
number of further steps when absorption is certain.

Method: state reduction, the elimination of Grassmann, Taksar and Heyman (1985). Transient
states are eliminated one at a time, folding the walks through each into its neighbours'
transition probabilities, then back-substituted. Every operation adds, multiplies or divides
non-negative numbers (1 - P[k, k] is the sum of k's other exits, never a difference), so each
figure keeps a small relative error however ill-conditioned I - Q is (O'Cinneide 1993 for the
stationary case): a chain absorbed once in 1e80 steps is solved as accurately as one absorbed
in ten, where solving (I - Q) B = R by LU returns noise. States farthest from absorption go
first, so every pivot is at least one of P's own entries. If a product underflows (below
2.2e-308) or a figure overflows, the elimination is redone on natural logarithms, which keep
the relative precision at any magnitude.

Each answer is checked, and `state` says in words what double precision cannot hold:

- from every transient state, P(each absorbing state) + P(never) = 1 within TOLERANCE;
- every figure satisfies its own equation with a componentwise relative residual below
  TOLERANCE; expected times are finite and non-negative;
- probabilities are stated from P_MIN (1e-300) up, or when exactly 0; expected steps up to
  T_MAX (1e300). Others get their base-10 logarithm and a sentence, never a wrong number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

P_MIN = 1e-300  # smallest probability stated as a number
T_MAX = 1e300  # largest expected number of steps stated as a number
TOLERANCE = 1e-9  # on the sums to 1 and on the componentwise relative residuals
TINY = np.finfo(float).tiny  # below it, floats lose relative precision (gradual underflow)


@dataclass(frozen=True)
class Figure:
    """A non-negative figure and its natural logarithm, which holds it beyond double range."""

    value: float
    ln: float

    @classmethod
    def of(cls, value: float) -> Figure:
        return cls(float(value), math.log(value) if value > 0 else -math.inf)

    @classmethod
    def from_ln(cls, ln: float) -> Figure:
        return cls(math.exp(ln) if ln < 709 else math.inf, float(ln))

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.value + other.value, float(np.logaddexp(self.ln, other.ln)))

    def times(self, weight: float) -> Figure:
        """The figure times a positive weight (a mixture component's probability)."""
        return Figure(weight * self.value, self.ln + math.log(weight))


@dataclass(frozen=True)
class Absorption:
    """One chain's figures with no horizon, from one distribution.

    Attributes:
        into: per absorbing state (in state order): P(absorbed there).
        never: P(never absorbed).
        steps: expected further steps (None unless absorption is certain).
        certain: absorption is certain (an absorbing state exists and x puts no mass where a
            run may be caught forever).
        failed: why the figures did not pass their checks (None when they did).
    """

    into: list[Figure]
    never: Figure
    steps: Figure | None
    certain: bool
    failed: str | None = None


def absorb(P: np.ndarray, absorbing: np.ndarray, x: np.ndarray, logs: bool = False
           ) -> Absorption:
    """From distribution x, with transition matrix P forever: where and when runs are absorbed.

    Args:
        P: (n, n) row-stochastic transition matrix.
        absorbing: (n,) bool, the absorbing states.
        x: (n,) the distribution to start from.
        logs: eliminate on logarithms from the start (otherwise only when floats fail).
    """
    edges = P > 0
    can_absorb = backward(edges, absorbing)
    trap = ~absorbing & ~can_absorb  # transient states with no way out
    solvable = ~absorbing & can_absorb
    doomed = backward(edges, trap)  # states from which a run may be caught forever
    certain = bool(absorbing.any()) and not (x[doomed & ~absorbing] > 0).any()
    into = [Figure.of(x[s]) for s in np.flatnonzero(absorbing)]
    never = Figure.of(float(x[trap].sum()))
    if not solvable.any():
        return Absorption(into, never, Figure.of(0.0) if certain else None, certain)
    T = np.flatnonzero(solvable)
    # Nearest to absorption first: _solve eliminates from the last, the farthest.
    order = T[np.argsort(_distance(edges[np.ix_(T, T)],
                                   np.asarray(edges[T][:, ~solvable].any(axis=1))),
                         kind="stable")]
    # Columns: transient states (in elimination order), absorbing states, never, reward.
    exits = np.column_stack([P[np.ix_(order, absorbing)], P[np.ix_(order, trap)].sum(axis=1),
                             np.ones(len(order))])
    A = np.hstack([P[np.ix_(order, order)], exits])
    failed = None
    ariths: list[_Float | _Log] = [_Log()] if logs else [_Float(), _Log()]
    for arith in ariths:
        X, failed = _solve(arith.load(A), len(order), arith)
        if failed is None:
            break
    if failed is not None:
        return Absorption(into, never, None, certain, failed)
    col = _start_from(x[order], X, arith)
    into = [a + b for a, b in zip(into, col[:-2], strict=True)]
    steps = col[-1] if certain else None
    return Absorption(into, never + col[-2], steps, certain)


def _start_from(w: np.ndarray, X: np.ndarray, arith: _Float | _Log) -> list[Figure]:
    """w @ X, column by column: the float sum (as stated) and its logarithm, summed on logs so
    that a term that underflows in floats still counts."""
    ln_w, ln_X = _Log().load(w), X if isinstance(arith, _Log) else _Log().load(X)
    ln = [float(_logsumexp(ln_w + ln_X[:, j])) for j in range(X.shape[1])]
    if isinstance(arith, _Log):
        return [Figure.from_ln(v) for v in ln]
    return [Figure(float(w @ X[:, j]), v) for j, v in enumerate(ln)]


def backward(edges: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """States from which some state in `targets` can be reached (including the targets)."""
    found, frontier = targets.copy(), targets.copy()
    while frontier.any():
        frontier = ~found & edges[:, frontier].any(axis=1)
        found |= frontier
    return found


def _distance(edges: np.ndarray, exits: np.ndarray) -> np.ndarray:
    """Fewest steps from each transient state out of the transient set (all finite here)."""
    dist, frontier, d = np.full(len(exits), np.inf), exits.copy(), 1
    while frontier.any():
        dist[frontier] = d
        frontier = np.isinf(dist) & edges[:, frontier].any(axis=1)
        d += 1
    return dist


def _solve(A: np.ndarray, n: int, ar: _Float | _Log) -> tuple[np.ndarray, str | None]:
    """State reduction on A = [transient | absorbing | never | reward] (rows in elimination
    order, last first), then back-substitution and the checks. Returns (X, why it failed)."""
    original = A.copy()
    pivots = np.empty(n)
    links: list[np.ndarray | slice] = [np.empty(0, dtype=int)] * n
    X = np.empty((n, A.shape[1] - n))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        for k in range(n - 1, -1, -1):
            links[k] = to = _dense(np.flatnonzero(A[k, :k] > ar.zero), k)
            s = ar.add(ar.total(A[k, to]), ar.total(A[k, n:-1]))
            if not s > ar.zero:
                return X, "a state with no exit"
            pivots[k] = s
            rows = _dense(np.flatnonzero(A[:k, k] > ar.zero), k)
            f = A[rows, k]
            if f.size:  # fold the walks through k into the rows that lead to it
                block = (rows[:, None] if isinstance(rows, np.ndarray)
                         and isinstance(to, np.ndarray) else rows, to)
                A[block] = ar.add(A[block], ar.outer(f, ar.div(A[k, to], s)))
                A[rows, n:] = ar.add(A[rows, n:], ar.outer(f, ar.div(A[k, n:], s)))
                A[rows, k] = ar.zero
        for k in range(n):  # each row sums its terms in the order its pivot did
            X[k] = ar.div(ar.add(ar.dot(A[k, links[k]], X[links[k]]), A[k, n:]), pivots[k])
        return X, ar.trouble() or _check(original, X, n, ar)


def _dense(index: np.ndarray, k: int) -> np.ndarray | slice:
    """The index, or the slice 0:k when it is every one of 0..k-1 (faster to update)."""
    return slice(0, k) if index.size == k else index


def _check(A: np.ndarray, X: np.ndarray, n: int, ar: _Float | _Log) -> str | None:
    """Why X fails the checks on the original system A (None if it passes)."""
    if not ar.finite(X[:, -1]):
        return "an expected time overflows"
    total = ar.sum_to_one_error(X[:, :-1])
    if total > TOLERANCE:
        return f"the absorption probabilities from a state sum to 1 only within {total:.1e}"
    off = A.copy()
    off[np.arange(n), np.arange(n)] = ar.zero
    out = ar.total(off[:, :-1])  # all exits of each state but the self-loop
    for j in range(X.shape[1]):
        lhs = ar.mul(out, X[:, j])
        rhs = ar.add(ar.dot_rows(off[:, :n], X[:, j]), A[:, n + j])
        worst = ar.relative_gap(lhs, rhs)
        if worst > TOLERANCE:
            return f"a residual of {worst:.1e} relative to the terms"
    return None


def _sci(x: float) -> str:
    return f"{x:.0e}".replace("e+", "e")


def _logsumexp(a: np.ndarray, axis: int = -1) -> np.ndarray:
    top = np.max(a, axis=axis, keepdims=True, initial=-np.inf)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(safe, axis) + np.log(np.exp(a - safe).sum(axis=axis))


@dataclass
class _Float:
    """Float arithmetic that notes an underflow (a product below 2.2e-308) or an overflow."""

    zero: float = 0.0
    lost: bool = field(default=False)

    def load(self, a: np.ndarray) -> np.ndarray:
        return np.array(a, dtype=float)

    def mul(self, a, b):
        out = a * b
        self.lost |= bool(((out < TINY) & (a > 0) & (b > 0)).any())
        return out

    def outer(self, f, p):
        """f (all positive) times p, noting if the smallest positive product underflows."""
        positive = p[p > 0]
        self.lost |= bool(positive.size and f.min() * positive.min() < TINY)
        return f[:, None] * p[None, :]

    def div(self, a, s):
        return a / s  # s <= 1 (a state's exits): no underflow; an overflow is checked at the end

    def add(self, a, b):
        return a + b

    def total(self, a):
        return a.sum(axis=-1)

    def dot(self, v, M):
        """v @ M for v > 0, each column summed as `total` sums v (so that rows that must sum
        to 1 do exactly)."""
        terms = M.T * v[None, :]
        if terms.size and terms.min() < TINY:
            self.lost |= bool(((terms < TINY) & (M.T > 0)).any())
        return terms.sum(axis=1)

    def dot_rows(self, M, v):
        return M @ v

    def trouble(self) -> str | None:
        return "a product under- or overflows in floats" if self.lost else None

    def finite(self, a) -> bool:
        return bool(np.isfinite(a).all())

    def sum_to_one_error(self, X):
        return float(np.abs(X.sum(axis=1) - 1).max())

    def relative_gap(self, a, b):
        both = a + b
        return float(np.max(np.abs(a - b) / np.where(both > 0, both, 1), initial=0.0))


@dataclass
class _Log:
    """The same operations on natural logarithms (-inf for 0): no under- or overflow."""

    zero: float = -np.inf

    def load(self, a: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(np.asarray(a, dtype=float))

    def mul(self, a, b):
        return a + b

    def outer(self, f, p):
        return f[:, None] + p[None, :]

    def div(self, a, s):
        return a - s

    def add(self, a, b):
        return np.logaddexp(a, b)

    def total(self, a):
        return _logsumexp(a)

    def dot(self, v, M):
        return _logsumexp(M.T + v[None, :], axis=1)

    def dot_rows(self, M, v):
        return _logsumexp(M + v[None, :], axis=1)

    def trouble(self) -> str | None:
        return None

    def finite(self, a) -> bool:
        return not bool((np.isnan(a) | (a == np.inf)).any())

    def sum_to_one_error(self, X):
        return float(np.abs(np.expm1(_logsumexp(X, axis=1))).max())

    def relative_gap(self, a, b):
        gap = np.where(np.isneginf(a) & np.isneginf(b), 0.0, np.abs(a - b))
        return float(np.max(np.tanh(gap / 2), initial=0.0))  # |A - B| / (A + B)


@dataclass(frozen=True)
class Eventual:
    """The figures with no horizon as double precision can state them, and words for the rest.

    Attributes:
        certain: every run is absorbed (with probability 1).
        stages: absorbing stage -> P(a run ends there); None where it is not stated.
        p: P(a run is absorbed); None where it is not stated.
        never: P(a run is never absorbed); None where it is not stated.
        expected_steps: the expected step of absorption; None when it is infinite (absorption
            is not certain) or not stated.
        log10: base-10 logarithms of the figures not stated as numbers, when known.
        notes: one sentence per figure not stated; empty when every figure is.
    """

    certain: bool
    stages: dict[str, float | None]
    p: float | None
    never: float | None
    expected_steps: float | None
    log10: dict[str, float]
    notes: tuple[str, ...]

    @property
    def resolved(self) -> bool:
        return not self.notes


def state(stages: dict[str, Figure], never: Figure, steps: Figure | None, certain: bool,
          failed: str | None = None) -> Eventual:
    """What can be stated of the figures with no horizon (mixed over components already)."""
    p = sum(stages.values(), Figure.of(0.0))
    if failed is None and stages:
        gap = abs(math.expm1(float(np.logaddexp(p.ln, never.ln))))
        if gap > TOLERANCE:
            failed = f"P(absorbed) + P(never absorbed) is 1 only within {gap:.1e}"
    if failed is not None:
        note = (f"the figures with no horizon did not pass their checks ({failed}), so they "
                "are not stated")
        return Eventual(certain, dict.fromkeys(stages), None, None, None, {}, (note,))
    log10: dict[str, float] = {}
    notes: list[str] = []

    def probability(key: str, what: str, f: Figure, say: bool = True) -> float | None:
        if f.ln == -math.inf or f.ln >= math.log(P_MIN):
            return min(1.0, max(0.0, f.value))
        log10[key] = f.ln / math.log(10)
        if say:
            notes.append(f"{what} is about 10^{log10[key]:.1f}, below {_sci(P_MIN)}: too small "
                         "to resolve in double precision")
        return None

    shown = {s: probability(s, f"P(absorbed in {s})", f) for s, f in stages.items()}
    total = probability("p", "P(absorbed)", p, say=len(stages) > 1)
    left = probability("never", "P(never absorbed)", never)
    expected = None
    if certain and steps is not None:
        if steps.ln <= math.log(T_MAX) and math.isfinite(steps.value):
            expected = max(0.0, steps.value)
        else:
            log10["expected_steps"] = steps.ln / math.log(10)
            notes.append(f"the expected steps to absorption are about "
                         f"10^{log10['expected_steps']:.1f}, above {_sci(T_MAX)}: too large to "
                         "resolve in double precision")
    return Eventual(certain, shown, total, left, expected, log10, tuple(notes))
