"""The memory a run will need, estimated before it starts, and the bound it must stay under.

Two things grow: what a run keeps per run (`keep_runs`: the per-run arrays, and the per-run
table built from them; `compare` keeps only the outcome arrays), which grows with the number
of runs unless the table is written chunk by chunk (`ladder run --out`: `streamed`), and one
chunk of the model (every state array has a run axis of up to 10,000), which grows with
stages x actions.
Both are modelled from the scenario's shape; the coefficients are the array sizes the engine
allocates, checked against measured peak RSS (docs/results.md, "Memory";
tests/test_results_integrity.py compares the estimate with a measurement).

Imports no numerical library, so the command line can parse `--max-memory` cheaply.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InputError
from ..format.distributions import Dist

if TYPE_CHECKING:
    from ..format.scenario import Scenario

KiB, MiB, GiB, TiB = 1024, 1024**2, 1024**3, 1024**4
DEFAULT_CAP = 4 * GiB  # the default bound: this, or half the physical memory if less
CHUNK_RUNS = 10_000  # outcomes.CHUNK (not imported: that would load Mesa)
# Building the per-run table from the kept arrays holds the per-chunk frames and their
# concatenation at once, and writing runs.parquet holds an Arrow copy beside the table:
# measured, the write phase peaks at about twice the table (1.95x-2.2x); 2.2 is the margin.
TABLE_PEAK = 2.2
STEP_TEMPORARIES = 200  # bytes per run of short-lived arrays in one step (measured: ~150-250)
UNITS = {"": 1, "B": 1, "K": KiB, "M": MiB, "G": GiB, "T": TiB}


def parse_size(text: str) -> int:
    """`8G`, `500M`, `1.5G`, `2048K` or plain bytes; K, M, G, T are powers of 1024 (a
    trailing `B` or `iB` is allowed: `8GB`, `8GiB`).

    Raises:
        InputError: for anything else.
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGT]?)(?:I?B)?\s*", str(text).upper())
    if not m or float(m.group(1)) <= 0:
        raise InputError(f"--max-memory {text!r}: expected a size such as 8G, 500M or 1.5G "
                         "(K, M, G, T: powers of 1024)")
    return int(float(m.group(1)) * UNITS[m.group(2)])


def format_size(n: float) -> str:
    """Bytes for people: `512 bytes`, `24 MiB`, `1.4 GiB`."""
    for unit, size in (("TiB", TiB), ("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            value = n / size
            return f"{value:.1f} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    return f"{int(n)} bytes"


def physical_memory() -> int | None:
    """This machine's physical memory in bytes, where the platform says."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def default_max_memory() -> int:
    """The bound without `--max-memory`: 4 GiB, or half the physical memory if that is less."""
    phys = physical_memory()
    return min(DEFAULT_CAP, phys // 2) if phys else DEFAULT_CAP


def _shape(scenario: Scenario) -> tuple[int, int, int]:
    """(stages, actions of all actors, length of the longest stage id)."""
    ids = scenario.ladder.stage_ids
    return len(ids), sum(len(a.action_ids) for a in scenario.actors), max(map(len, ids))


MOVES_PER_RUN = 4  # stage moves per run and ladder, for the estimate (measured: 1 to 3)


def kept_per_run(scenario: Scenario) -> int:
    """Bytes per run of every per-run array a run keeps (`sim.engine.outcomes.per_run_arrays`
    with `keep="all"`): peak and final (int8), absorbed (bool), steps (int32), first and
    time_in (int32 per stage), each actor's action counts (int32 per action), each drawn
    number (float64), the move log (7 int32 per move: counted as MOVES_PER_RUN moves per
    ladder, the bundled files' most), and the `observe:` records (`observed_bytes`)."""
    stages, actions, _ = _shape(scenario)
    coupled = sum(2 + 8 * len(c.ladder.stage_ids) for c in scenario.coupled)
    shown = sum(4 * len(a.action_ids) for a in scenario.actors
                if any(act.signal for act in a.actions))  # what others saw, per action
    moves = 28 * MOVES_PER_RUN * (1 + len(scenario.coupled))
    return (7 + 8 * stages + 4 * actions + coupled + shown + moves + 8 * drawn(scenario)
            + observed_bytes(scenario))


def outcomes_per_run(scenario: Scenario) -> int:
    """Bytes per run of the outcome arrays `ladder compare` keeps (`keep="outcomes"`): peak
    and final (int8), absorbed, first (int32 per stage), each coupled ladder's peak and
    final."""
    return 3 + 4 * _shape(scenario)[0] + 2 * len(scenario.coupled)


def observed_bytes(scenario: Scenario) -> int:
    """Bytes per run of the `observe:` records (`sim.engine.observations`): per period, an
    int16 per stage quantity and 8 bytes per count or mean (0 without `observe:`)."""
    if scenario.observe is None:
        return 0
    each = sum(2 if q.kind == "stage" else 8 for q in scenario.observe.quantities)
    return _months(scenario) * each


def _months(scenario: Scenario) -> int:
    """Calendar months from step 0 to the horizon (a step of at most a week visits each)."""
    clock = scenario.clock
    first, last = clock.date_of(0), clock.date_of(clock.horizon)
    if first is None or last is None:
        return 0
    return 12 * (last.year - first.year) + last.month - first.month + 1


def table_per_run(scenario: Scenario) -> int:
    """Bytes per run of the per-run table (`sim.engine.tables`, pandas): run (int64), steps
    (int32), absorbed, peak and final (strings: 8-byte offset and the characters),
    first_<stage> (nullable Int64: 9 bytes), time_<stage> (int32), the action counts
    (int32), the draws (float64); and the observations table's rows (run, period, the
    quantities: one row per period)."""
    stages, actions, longest = _shape(scenario)
    coupled = sum(2 * (8 + max(map(len, c.ladder.stage_ids))) + 13 * len(c.ladder.stage_ids)
                  for c in scenario.coupled)  # <key>.peak, .final, .first_*, .time_*
    shown = sum(4 * len(a.action_ids) for a in scenario.actors
                if any(act.signal for act in a.actions))  # <actor>.shown.<action>
    observed = observed_bytes(scenario) + 16 * _months(scenario)  # + run, period
    return 13 + 2 * (8 + longest) + 13 * stages + 4 * actions + coupled + shown + 8 * drawn(
        scenario) + observed  # drawn:<path> (float64)


def per_run_bytes(scenario: Scenario, table: bool) -> int:
    """What each run adds when runs are kept: with `table`, every array and the per-run
    table's write-phase peak (as `sim.run(...).runs` builds it); without, the outcome
    arrays `ladder compare` keeps, their concatenation, and about 32 bytes of
    temporaries."""
    if table:
        return int(kept_per_run(scenario) + TABLE_PEAK * table_per_run(scenario))
    return 2 * outcomes_per_run(scenario) + 32


def chunk_bytes(scenario: Scenario, runs: int = CHUNK_RUNS) -> int:
    """Bytes of one model of `runs` runs (`EscalationModel`): its per-run state and records,
    each actor's weights (float64 per action x stage: the term that grows with stages x
    actions), effects, counts, modifier scales, population members and the stage weights it
    keeps between steps (float64 per action, and the step they were gathered), the events'
    drawn values (and when each run last applied an event's `set`), the temporaries of one
    step, nine bytes per drawn number (each run's draw and its fifth,
    `sim.engine.assumptions`), and the `observe:` records with their read-out."""
    stages = len(scenario.ladder.stage_ids)
    per_run = 70 + 8 * stages  # stage, tension, decay, below, peak ...; first, time_in
    widest = 0
    for actor in scenario.actors:
        a = len(actor.action_ids)
        per_run += 8 * a * stages + 24 * a + 32 + 8 * a * len(actor.policy.modifiers)
        if actor.is_population:
            per_run += 8 + 8 * a
        widest = max(widest, a)
    for event in scenario.events:
        per_run += 1 + 8 * (len(event.set) + (event.tension is not None)) + 4 * bool(event.set)
    per_run += 8 * widest + STEP_TEMPORARIES + _dynamics_bytes(scenario) + 9 * drawn(scenario)
    per_run += 2 * observed_bytes(scenario)
    return per_run * runs


def drawn(scenario: Scenario) -> int:
    """How many numbers of the scenario are distributions, drawn once per run."""
    values: list[object] = [scenario.initial_tension, scenario.decay]
    for actor in scenario.actors:
        policy = actor.policy
        values += [actor.count, *policy.weights.values(),
                   *(w for stage in policy.stages.values() for w in stage.values()),
                   *(s for m in policy.modifiers for s in m.scale.values())]
        for action in actor.actions:
            values += [action.effect, *(v for _, v in action.effects)]
        values += [x for p in actor.perceives for x in (p.bias, p.noise)]
    for event in scenario.events:
        values += [*event.set.values(), *(v for _, _, v in event.variables)]
        if event.tension is not None:
            values.append(event.tension[1])
    values += [x for v in scenario.variables for x in (v.initial, v.decay)]
    values += [h.p for h in scenario.hazards]
    return sum(isinstance(v, Dist) for v in values)


def _dynamics_bytes(scenario: Scenario) -> int:
    """Per run, the state of the dynamics (`sim.engine.tracks`, `variables`, `perception`):
    each coupled ladder's stage and records, each variable's value and decay, flags, each
    perceived quantity's draws and lag buffer, the effects on variables, the memory of
    actions (a generous bound: every action's last step and a 32-step window per actor
    referenced), and a uniform per hazard and signal."""
    total = sum(70 + 8 * len(c.ladder.stage_ids) for c in scenario.coupled)
    total += 16 * len(scenario.variables) + len(scenario.flags) + 8 * len(scenario.hazards)
    for actor in scenario.actors:
        a = len(actor.action_ids)
        total += sum(24 + 8 * (p.lag + 1) for p in actor.perceives)
        total += 8 * a * len({v for act in actor.actions for v, _ in act.effects})
        if any(act.signal for act in actor.actions):
            total += 24
        if scenario.coupled or scenario.variables or scenario.flags or scenario.hazards:
            total += 4 * a + 2 * 32
    return total


@dataclass(frozen=True)
class Estimate:
    """The memory a run will need above the interpreter's own (about 150 MB with Mesa).

    Attributes:
        runs: runs of every scenario together.
        kept: bytes of what the runs keep (0 without `keep_runs`).
        per_run: bytes per run of `kept` (the mean over the scenarios).
        chunk: bytes of one chunk of the model (the largest scenario's).
        chunk_runs: runs in that chunk.
        models: how many chunks are in memory at once (one per worker process).
        table: whether `kept` counts the per-run table (`--out`).
        streamed: whether the table is written chunk by chunk (`ladder run --out`), so
            that `kept` is a few chunks' worth, not every run's.
    """

    runs: int
    kept: int
    per_run: int
    chunk: int
    chunk_runs: int
    models: int
    table: bool
    streamed: bool = False

    @property
    def total(self) -> int:
        return self.kept + self.models * self.chunk

    def describe(self) -> str:
        """`about 93 GiB of memory (100,000,000 runs x 997 bytes kept per run for the per-run
        table, and 24 MiB for one chunk of 10,000 runs of the model)`."""
        parts = []
        if self.kept and self.streamed:
            parts.append(f"{format_size(self.kept)} for the per-run tables of the chunks "
                         "being written")
        elif self.kept:
            what = "for the per-run table" if self.table else "of per-run outcomes"
            parts.append(f"{self.runs:,} runs x {self.per_run:,} bytes kept per run {what}")
        each = "one chunk" if self.models == 1 else f"{self.models} chunks (one per worker)"
        parts.append(f"{format_size(self.models * self.chunk)} for {each} of "
                     f"{self.chunk_runs:,} runs of the model")
        return f"about {format_size(self.total)} of memory ({', and '.join(parts)})"


def estimate(scenarios: Sequence[Scenario], runs: int, models: int = 1, keep_runs: bool = True,
             table: bool = True, streamed: bool = False) -> Estimate:
    """The memory `runs` runs of each scenario will need, with `models` chunks in memory at
    once; `streamed`: the kept runs are written chunk by chunk, so at most the chunks in
    flight (one per model, and the one being written) are held."""
    n = min(runs, CHUNK_RUNS)
    held = min(runs, (models + 1) * n) if streamed else runs
    kept = sum(held * per_run_bytes(s, table) for s in scenarios) if keep_runs else 0
    return Estimate(runs * len(scenarios), kept, kept // max(1, held * len(scenarios)),
                    max(chunk_bytes(s, n) for s in scenarios), n, models,
                    keep_runs and table, keep_runs and streamed)


def check(est: Estimate, limit: float | None = None, out: str = "--out") -> None:
    """Refuse a run whose estimate is above `limit` bytes (default: `default_max_memory`;
    infinity: no bound).

    Raises:
        InputError: with the estimate and the ways to lower it.
    """
    limit = default_max_memory() if limit is None else limit
    if est.total <= limit:
        return
    ways = []
    if est.kept and not est.streamed:
        ways.append("fewer runs")
    if est.table:
        ways.append(f"no {out} (the run then needs about "
                    f"{format_size(est.models * est.chunk)})")
    if est.models > 1:
        ways.append("fewer --jobs")
    ways.append("a smaller scenario (fewer stages, actors or actions)")
    raise InputError(f"this would need {est.describe()}, more than the limit of "
                     f"{format_size(limit)}; lower it with {', '.join(ways)}, or raise the "
                     f"limit with --max-memory SIZE (e.g. --max-memory "
                     f"{-(-est.total // GiB) + 1}G) if the machine has that much")
