"""Compare the outcome distributions of scenario variants, each against the first.

Runs are paired (common random numbers) when both variants were simulated from the same
seed with the same runs, stages and actors' actions: run i of A and run i of B then draw
from the same seed stream, and the paired tests (McNemar, Newcombe's paired interval,
Stuart-Maxwell) use that. Otherwise the samples are independent and the independent tests
are used. Every comparison states its test; p-values are Holm-adjusted over all of them.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..engine.coupled import summary_ladders
from ..engine.folder_read import read_folder
from ..engine.outcomes import Totals, step_interval
from ..engine.results import has_parquet
from ..engine.runner import RunResult
from ..errors import InputError
from ..format.scenario import Scenario
from . import coupled_runs
from .coupled_runs import LadderRuns
from .stats import (
    chi_square_homogeneity,
    cohen_h,
    holm,
    logrank,
    mcnemar_p,
    newcombe_diff,
    newcombe_paired_diff,
    stuart_maxwell,
    two_proportion_p,
)

ALPHA = 0.05


@dataclass
class Outcomes:
    """One variant's per-run outcomes, from a fresh run or a results folder.

    Attributes:
        id: the scenario id.
        source: the scenario file or results folder it came from.
        stages: stage ids, lowest first.
        structure: the stages and `<actor>.<action>` names; equal structures can be paired.
        seed: the root seed of the runs.
        horizon: steps per run.
        peak, final: (runs,) stage index of each run's highest and final stage.
        first: (runs, stages) first step at which each run was at the stage or higher, -1
            if never.
        absorbed: (runs,) whether each run ended in an absorbing stage.
        summary: the run summary (as in summary.json).
        ladders: each coupled ladder's per-run peak and final, by key (empty for one
            ladder; `sim.analyses.coupled_runs`).
    """

    id: str
    source: str
    stages: tuple[str, ...]
    structure: tuple
    seed: int
    horizon: int
    peak: np.ndarray
    final: np.ndarray
    first: np.ndarray
    absorbed: np.ndarray
    summary: dict
    ladders: dict[str, LadderRuns] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.peak)

    def reached(self, s: int) -> np.ndarray:
        """(runs,) whether each run reached stage index `s` (or higher)."""
        return self.peak >= s


def structure_of(stages, action_names) -> tuple:
    """What must match for two variants' runs to be paired run by run."""
    return (tuple(stages), tuple(action_names))


def from_result(result: RunResult, source: str) -> Outcomes:
    """Outcomes of a run made with `keep_runs=True`."""
    return from_totals(result.totals, result.scenario, result.summary["seed"], source,
                       result.summary)


def from_totals(totals: Totals, scenario: Scenario, seed: int, source: str,
                summary: dict | None = None) -> Outcomes:
    """Outcomes of the runs kept in `totals` (so far, in precision mode) of `scenario`."""
    parts = totals.per_run
    if not parts:
        raise InputError(f"{source}: the run kept no per-run outcomes (keep_runs=False)")
    names = [f"{a.id}.{x}" for a in scenario.actors for x in a.action_ids]
    stages = scenario.ladder.stage_ids
    return Outcomes(
        id=scenario.id, source=source, stages=stages, structure=structure_of(stages, names),
        seed=seed, horizon=scenario.clock.horizon,
        peak=np.concatenate([p["peak"] for p in parts]),
        final=np.concatenate([p["final"] for p in parts]),
        first=np.concatenate([p["first"] for p in parts]),
        absorbed=np.concatenate([p["absorbed"] for p in parts]),
        summary=summary or {},
        ladders=coupled_runs.from_parts(parts, {c.key: c.ladder.stage_ids
                                                for c in scenario.coupled}))


def action_columns(columns, summary: dict) -> list[str]:
    """The action-count columns of a per-run table: `<actor>.<action>`, not a coupled
    ladder's columns, not `<actor>.shown.<action>` (faces shown) nor `drawn:<path>`."""
    own = coupled_runs.own_columns(summary)
    return [c for c in map(str, columns) if c.count(".") == 1 and c not in own
            and not c.startswith("drawn:")]


def from_folder(folder: str | Path) -> Outcomes:
    """Outcomes read back from a results folder written by `ladder run --out`.

    Raises:
        InputError: the folder is not complete (`sim.engine.folder_read.read_folder`: no
            manifest, or files that do not match it), has no per-run table, or its table
            does not match its summary.
    """
    folder = Path(folder)
    manifest = read_folder(folder, "run", [])[0]
    runs_name = ("runs.parquet" if "runs.parquet" in manifest["files"] and has_parquet()
                 else "runs.csv")
    if runs_name not in manifest["files"]:
        raise InputError(f"{folder}: the results folder has no per-run table (runs.csv); it "
                         "was written without the runs kept")
    data = read_folder(folder, "run", ["summary.json"], checked=[runs_name])[1]
    runs_path = folder / runs_name
    try:
        summary = json.loads(data["summary.json"].decode("utf-8"))
        stages = tuple(summary["stages"])
        runs, columns = _outcome_columns(runs_path, summary)
        index = {s: i for i, s in enumerate(stages)}
        peak = runs["peak"].map(index).to_numpy()
        final = runs["final"].map(index).to_numpy()
        first = np.stack([runs[f"first_{s}"].fillna(-1).to_numpy(dtype=np.int64)
                          for s in stages], axis=1)
        absorbed = runs["absorbed"].astype(bool).to_numpy()
        ladders = coupled_runs.from_table(runs, summary)
        seed, horizon = int(summary["seed"]), int(summary["horizon"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{folder}: cannot read the results folder ({exc!s})") from None
    if np.isnan(peak.astype(float)).any() or np.isnan(final.astype(float)).any():
        raise InputError(f"{runs_path}: a run's peak or final stage is not one of "
                         f"{', '.join(stages)}")
    if len(runs) != summary.get("runs"):
        raise InputError(f"{runs_path}: {len(runs)} rows but summary.json says "
                         f"{summary.get('runs')} runs")
    names = action_columns(columns, summary)
    return Outcomes(id=summary["scenario"], source=str(folder), stages=stages,
                    structure=structure_of(stages, names), seed=seed, horizon=horizon,
                    peak=peak.astype(np.int64), final=final.astype(np.int64), first=first,
                    absorbed=absorbed, summary=summary, ladders=ladders)


def _outcome_columns(path: Path, summary: dict) -> tuple[pd.DataFrame, list[str]]:
    """The columns of a per-run table that compare reads (peak, final, absorbed, each
    first_<stage>, each coupled ladder's peak and final), and the names of all its columns
    (whose action counts say whether two folders' runs can be paired)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        columns = list(pq.read_schema(path).names)
    else:
        with open(path, encoding="utf-8", newline="") as handle:
            columns = next(csv.reader(handle), [])
    wanted = ["peak", "final", "absorbed", *(f"first_{s}" for s in summary["stages"]),
              *(f"{key}.{c}" for key in summary_ladders(summary)
                for c in ("peak", "final"))]
    use = [c for c in columns if c in set(wanted)]
    runs = (pd.read_parquet(path, columns=use) if path.suffix == ".parquet"
            else pd.read_csv(path, usecols=use))
    return runs, columns


def paired(a: Outcomes, b: Outcomes) -> bool:
    """Whether runs of `a` and `b` are paired by common random numbers."""
    return a.structure == b.structure and a.seed == b.seed and a.n == b.n


def widest_difference(variants: list[Outcomes]) -> float:
    """The widest half-width of the 95% intervals of the P(reach) differences of every stage
    of the main ladder, each variant against the first, as `compare` gives them (paired or
    independent; stages never or always reached in both left out, 0 if none is left):
    what `--precision-on diff` targets."""
    base = variants[0]
    widths = [0.0]
    for v in variants[1:]:
        pair = paired(base, v)
        for i in range(len(base.stages)):
            ea, eb = base.reached(i), v.reached(i)
            if _varies(ea, eb):
                lo, hi = _interval(ea, eb, pair)
                widths.append((hi - lo) / 2)
    return max(widths)


def _varies(ea: np.ndarray, eb: np.ndarray) -> bool:
    """Whether an event is neither never nor always seen in both variants."""
    xa, xb = int(ea.sum()), int(eb.sum())
    return (xa, xb) not in ((0, 0), (len(ea), len(eb)))


def _interval(ea: np.ndarray, eb: np.ndarray, pair: bool) -> tuple[float, float]:
    """The 95% interval for P(B) - P(A) of an event seen in runs `ea` of A and `eb` of B:
    Newcombe's paired score interval for paired runs, his hybrid score interval otherwise."""
    xa, xb = int(ea.sum()), int(eb.sum())
    if pair:
        both = int((ea & eb).sum())
        only_a, only_b = xa - both, xb - both
        return newcombe_paired_diff(both, only_a, only_b, len(ea) - both - only_a - only_b)
    return newcombe_diff(xa, len(ea), xb, len(eb))


def compare(variants: list[Outcomes]) -> dict:
    """Compare each variant with the first: the `ladder compare --json` object."""
    if len(variants) < 2:
        raise InputError("compare needs at least two scenarios or results folders")
    base = variants[0]
    for v in variants[1:]:
        if v.stages != base.stages:
            raise InputError(f"{v.source}: its ladder's stages ({', '.join(v.stages)}) differ "
                             f"from {base.source}'s ({', '.join(base.stages)}); only "
                             "variants on the same ladder can be compared")
    labels = _labels(variants)
    comparisons, finals = [], []
    for v, label in zip(variants[1:], labels[1:], strict=True):
        pair = paired(base, v)
        comparisons += _proportions(base, v, labels[0], label, pair)
        comparisons += _times(base, v, labels[0], label)
        finals.append(_finals(base, v, labels[0], label, pair))
    tested = comparisons + finals
    for entry, adjusted in zip(tested, holm([e["p"] for e in tested]), strict=True):
        entry["p_adjusted"] = adjusted
    return tidy({
        "scenarios": labels,
        "runs": {label: v.n for label, v in zip(labels, variants, strict=True)},
        "seed": base.seed if len({v.seed for v in variants}) == 1 else
        {label: v.seed for label, v in zip(labels, variants, strict=True)},
        "paired": {label: paired(base, v) for label, v in zip(labels[1:], variants[1:],
                                                               strict=True)},
        "comparisons": comparisons,
        "final_distribution": finals[0],
        "final_distributions": finals,
        "verdicts": [verdict(c) for c in comparisons if c["metric"].startswith(("reach:",
                                                                              "absorbed"))],
        "adjustment": f"Holm over {len(tested)} tests",
        "provenance": {"version": __version__,
                       "sources": {label: {"source": v.source,
                                           "provenance": v.summary.get("provenance", {})}
                                   for label, v in zip(labels, variants, strict=True)}},
    })


def tidy(obj):
    """Floats rounded to 10 significant digits, for stable, readable JSON."""
    if isinstance(obj, float):
        return float(f"{obj:.10g}")
    if isinstance(obj, dict):
        return {k: tidy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [tidy(v) for v in obj]
    return obj


def _labels(variants: list[Outcomes]) -> list[str]:
    """Scenario ids, numbered where several variants share an id (`base`, `base#2`)."""
    seen: dict[str, int] = {}
    labels = []
    for v in variants:
        seen[v.id] = seen.get(v.id, 0) + 1
        labels.append(v.id if seen[v.id] == 1 else f"{v.id}#{seen[v.id]}")
    return labels


def _proportions(a: Outcomes, b: Outcomes, la: str, lb: str, pair: bool) -> list[dict]:
    """P(reach) of every informative stage, and P(absorbed); then, with coupled ladders,
    P(reach) and P(final) of each of their stages (`reach:<key>:<stage>`,
    `final:<key>:<stage>`)."""
    metrics = [(f"reach:{s}", a.reached(i), b.reached(i)) for i, s in enumerate(a.stages)]
    metrics.append(("absorbed", a.absorbed, b.absorbed))
    metrics += coupled_runs.metrics(a.ladders, b.ladders)
    out = []
    for metric, ea, eb in metrics:
        if not _varies(ea, eb):
            continue  # never or always, in both: nothing to compare
        xa, xb = int(ea.sum()), int(eb.sum())
        entry = {"metric": metric, "a": la, "b": lb, "pa": xa / a.n, "pb": xb / b.n,
                 "diff": xb / b.n - xa / a.n}
        lo, hi = _interval(ea, eb, pair)
        if pair:
            both = int((ea & eb).sum())
            p = mcnemar_p(xa - both, xb - both)
            test = "McNemar exact test on paired runs; Newcombe paired score interval"
        else:
            p = two_proportion_p(xa, a.n, xb, b.n)
            test = "two-proportion z-test; Newcombe hybrid score interval"
        entry.update({"lo": lo, "hi": hi, "p": p, "test": test,
                      "effect": {"cohen_h": cohen_h(xa / a.n, xb / b.n),
                                 "risk_ratio": (xb / b.n) / (xa / a.n) if xa else None}})
        out.append(entry)
    return out


def _times(a: Outcomes, b: Outcomes, la: str, lb: str) -> list[dict]:
    """Time to each stage: log-rank over first-reach steps, runs censored at the horizon; the
    median step of each variant with its 95% interval (`sim.engine.outcomes.step_interval`)."""
    out = []
    horizon = max(a.horizon, b.horizon)
    for i, s in enumerate(a.stages):
        fa, fb = a.first[:, i], b.first[:, i]
        if not ((fa > 0).any() or (fb > 0).any()):
            continue  # reached by nobody after step 0
        ea = np.bincount(fa[fa >= 0], minlength=horizon + 1)
        eb = np.bincount(fb[fb >= 0], minlength=horizon + 1)
        test = logrank(ea, eb, a.n, b.n)
        out.append({"metric": f"time:{s}", "a": la, "b": lb,
                    "median_a": _median(fa), "median_b": _median(fb),
                    "median_ci_a": step_interval(ea, 0.5) if ea.any() else None,
                    "median_ci_b": step_interval(eb, 0.5) if eb.any() else None,
                    "reached_a": int((fa >= 0).sum()), "reached_b": int((fb >= 0).sum()),
                    "p": test["p"], "chi2": test["chi2"],
                    "test": "log-rank, runs that never reach the stage censored at the "
                            "horizon (treats runs as independent: conservative when paired)",
                    "effect": {"hazard_ratio": test["hazard_ratio"]}})
    return out


def _median(first: np.ndarray) -> int | None:
    """Median first-reach step over the runs that reached the stage."""
    hit = first[first >= 0]
    return int(np.sort(hit)[(len(hit) - 1) // 2]) if len(hit) else None


def _finals(a: Outcomes, b: Outcomes, la: str, lb: str, pair: bool) -> dict:
    k = len(a.stages)
    if pair:
        res = stuart_maxwell(a.final, b.final, k)
        test = "Stuart-Maxwell test of marginal homogeneity on paired runs"
    else:
        res = chi_square_homogeneity(np.bincount(a.final, minlength=k),
                                     np.bincount(b.final, minlength=k))
        test = "Pearson chi-square test of homogeneity"
    effect = chi_square_homogeneity(np.bincount(a.final, minlength=k),
                                    np.bincount(b.final, minlength=k))["cramers_v"]
    return {"metric": "final", "a": la, "b": lb, "chi2": res["chi2"], "dof": res["dof"],
            "p": res["p"], "test": test, "effect": {"cramers_v": effect}}


def format_p(p: float) -> str:
    """A p-value for people: `p < 0.001` or `p = 0.042`."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def verdict(c: dict) -> str:
    """One line in words for a proportion comparison (B against A)."""
    what = ("P(absorbed)" if c["metric"] == "absorbed"
            else f"P(reach {c['metric'].split(':', 1)[1]})")
    pts = 100 * c["diff"]
    lo, hi = 100 * c["lo"], 100 * c["hi"]
    p = format_p(c["p_adjusted"])
    if c["p_adjusted"] < ALPHA and (lo > 0 or hi < 0):
        word = "raises" if pts > 0 else "lowers"
        a, b = (lo, hi) if pts > 0 else (-hi, -lo)
        return (f"{c['b']} {word} {what} by {abs(pts):.1f} points [{a:.1f}, {b:.1f}] "
                f"against {c['a']}, {p} (Holm-adjusted)")
    return (f"{c['b']} vs {c['a']}: no clear difference in {what}: {pts:+.1f} points "
            f"[{lo:+.1f}, {hi:+.1f}], {p} (Holm-adjusted)")


def describe_pairing(report: dict) -> str:
    """A sentence on common random numbers for the output."""
    paired_ids = [k for k, v in report["paired"].items() if v]
    base = report["scenarios"][0]
    if len(paired_ids) == len(report["paired"]):
        return (f"common random numbers: run i of every variant uses the same seed stream "
                f"as run i of {base}, so runs are compared in pairs (paired tests)")
    if not paired_ids:
        return ("independent samples: the variants differ in actors or actions (or seed or "
                "runs), so runs cannot be paired; independent tests are used")
    return (f"common random numbers for {', '.join(paired_ids)} (paired tests); the others "
            "are independent samples")
