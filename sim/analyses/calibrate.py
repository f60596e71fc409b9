"""`ladder calibrate`: approximate Bayesian computation against a historical record, scored
out of sample.

Rejection ABC (Pritchard et al. 1999; Beaumont 2010). Every run of an ensemble draws the
scenario's uncertain numbers from their distributions (the prior; runs.csv's `drawn:`
columns) and is one simulated history. A run's *discrepancy* is its distance from the record
over the fit window: for each quantity the record gives in a month of the window (a ladder's
stage, or a count), the mean over those months of |simulated - observed| on a common scale
(a stage: its distance in rungs over the ladder's span; a count: the absolute difference of
log(1 + x) over log(1 + the record's largest value)), averaged over the quantities. The runs
with the smallest discrepancies, a share `accept` of them, are kept; their draws are the
posterior sample, written as a posterior file (`ladder run --posterior`).

Scoring (`sim.analyses.scores`): on the test window, the prior model (fresh runs drawing from
the file), the calibrated model (fresh runs drawing parameter sets from the posterior) and
three baselines (persistence of the fit window's last observed stage, the climatology of the
fit window's observed stages, the uniform over the ladder's stages) forecast each month's
stage of each recorded ladder; each forecast is scored against the record. The same is done
for the forcing-free replay: the scenario without the record's input events, so what the
actors produce on their own is measured apart from what the file imposes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..engine.runner import RunResult, run
from ..errors import InputError
from ..format.history_record import Record
from ..format.posterior import Posterior
from ..format.scenario import Scenario
from .outsample import baselines, count_coverage, differences, model_forecast, score_rows, verdict

ACCEPT = 0.1


def window(text: str, what: str) -> tuple[str, str]:
    """`YYYY-MM:YYYY-MM` as (first, last) months, checked."""
    first, sep, last = text.partition(":")
    ok = sep and all(len(x) == 7 and x[4] == "-" and x[:4].isdigit() and x[5:].isdigit()
                     and 1 <= int(x[5:]) <= 12 for x in (first, last))
    if not ok or first > last:
        raise InputError(f"{what}: expected FIRST:LAST months as YYYY-MM:YYYY-MM (e.g. "
                         f"2021-08:2022-12), got {text!r}")
    return first, last


def stage_columns(scenario: Scenario) -> dict[str, str]:
    """The scenario's observed stage quantities by ladder key (ladder key -> column)."""
    if scenario.observe is None:
        raise InputError(f"{scenario.path}: calibration compares observed quantities with the "
                         "record; the scenario needs an `observe:` block (docs/format.md, "
                         "Observations)")
    return {q.of: q.name for q in scenario.observe.quantities if q.kind == "stage"}


def targets(scenario: Scenario, record: Record) -> list[dict]:
    """What is compared: each recorded ladder's stage, and each recorded quantity the
    scenario observes under the same name (`summary["compared"]` lists them; the record's
    other quantities, and its multi-month spans, are not compared)."""
    stages = stage_columns(scenario)
    ladders = {scenario.key: scenario.ladder, **{c.key: c.ladder for c in scenario.coupled}}
    out = []
    for key in record.ladders:
        if key not in stages:
            raise InputError(f"{scenario.path}: the record gives the stages of ladder {key!r} "
                             f"but the scenario's observe: block has no `stage: {key}`")
        out.append({"name": stages[key], "kind": "stage", "ladder": key,
                    "stages": list(ladders[key].stage_ids)})
    assert scenario.observe is not None  # stage_columns refused a scenario without it
    counted = {q.name for q in scenario.observe.quantities if q.kind != "stage"}
    for name in record.quantities:
        if name in counted:
            out.append({"name": name, "kind": "count"})
    return out


def observed(record: Record, target: dict, months: Sequence[str]) -> np.ndarray:
    """The record's value of a target in each month (NaN: not given), as stage indices for a
    stage."""
    by_month = {m.month: m for m in record.months}
    values = []
    for month in months:
        m = by_month.get(month)
        if target["kind"] == "stage":
            stage = m.stages.get(target["ladder"]) if m else None
            values.append(np.nan if stage is None else target["stages"].index(stage))
        else:
            v = m.observed.get(target["name"]) if m else None
            values.append(np.nan if v is None else float(v))
    return np.asarray(values, dtype=float)


def simulated(result: RunResult, column: str, months: Sequence[str]) -> np.ndarray:
    """(runs, months) of a quantity from a run's observations (NaN where a month is not
    simulated)."""
    table = result.observations
    if table is None:
        raise InputError("the run kept no observations (it needs kept runs and `observe:`)")
    wide = table.pivot(index="run", columns="period", values=column)
    return wide.reindex(columns=list(months)).to_numpy(dtype=float)


def discrepancy(result: RunResult, record: Record, aims: list[dict],
                months: Sequence[str]) -> np.ndarray:
    """Each run's distance from the record over `months` (see the module's docstring)."""
    parts = []
    for aim in aims:
        obs = observed(record, aim, months)
        known = ~np.isnan(obs)
        if not known.any():
            continue
        sim = simulated(result, aim["name"], months)[:, known]
        if aim["kind"] == "stage":
            d = np.abs(sim - obs[known]) / max(len(aim["stages"]) - 1, 1)
        else:
            top = np.log1p(np.nanmax(observed(record, aim, [m.month for m in record.months])))
            d = np.abs(np.log1p(sim) - np.log1p(obs[known])) / max(top, 1e-9)
        parts.append(np.nanmean(d, axis=1))
    if not parts:
        raise InputError("the record gives no observed value in the fit window")
    return np.mean(parts, axis=0)


def accept_runs(d: np.ndarray, share: float) -> np.ndarray:
    """The runs kept: the `share` of them with the smallest discrepancy (ties: lowest run)."""
    k = max(1, int(round(share * len(d))))
    return np.lexsort((np.arange(len(d)), d))[:k]


def posterior_table(runs: pd.DataFrame, kept: np.ndarray, d: np.ndarray) -> pd.DataFrame:
    """The accepted runs' draws: run, discrepancy, and each `drawn:<path>` column."""
    cols = [c for c in runs.columns if str(c).startswith("drawn:")]
    table = runs.iloc[kept][["run", *cols]].reset_index(drop=True)
    table.insert(1, "discrepancy", d[kept])
    return table


def as_posterior(table: pd.DataFrame, path: str = "") -> Posterior:
    """A posterior table as the engine reads it (equal weights)."""
    cols = [c for c in table.columns if str(c).startswith("drawn:")]
    values = tuple(tuple(float(x) for x in row) for row in table[cols].to_numpy())
    return Posterior(tuple(c.removeprefix("drawn:") for c in cols), values,
                     tuple([1 / len(values)] * len(values)), path)


def parameter_summary(prior: pd.DataFrame, post: pd.DataFrame) -> list[dict]:
    """Per drawn number: prior and posterior mean, sd and 5/50/95% quantiles, and the ratio
    of the posterior's sd to the prior's (near 1: the record says little about it)."""
    out = []
    for c in [c for c in prior.columns if str(c).startswith("drawn:")]:
        a, b = prior[c].to_numpy(float), post[c].to_numpy(float)
        sd_a = float(a.std(ddof=1)) if len(a) > 1 else 0.0
        sd_b = float(b.std(ddof=1)) if len(b) > 1 else 0.0
        out.append({"path": c.removeprefix("drawn:"),
                    "prior": _describe(a, sd_a), "posterior": _describe(b, sd_b),
                    "sd_ratio": sd_b / sd_a if sd_a > 0 else None})
    return sorted(out, key=lambda r: (r["sd_ratio"] is None, r["sd_ratio"] or 0, r["path"]))


def _describe(x: np.ndarray, sd: float) -> dict:
    q = np.quantile(x, [0.05, 0.5, 0.95]) if len(x) else [np.nan] * 3
    return {"mean": float(x.mean()), "sd": sd, "q05": float(q[0]), "q50": float(q[1]),
            "q95": float(q[2])}


def without_inputs(scenario: Scenario, record: Record) -> Scenario:
    """The forcing-free replay: the scenario without the record's input events."""
    names = {i.event for i in record.inputs}
    return dataclasses.replace(scenario, events=tuple(e for e in scenario.events
                                                      if e.name not in names))


def simulate(scenario: Scenario, runs: int, seed: int, jobs: int = 1,
             progress: bool = False, scheduler: str | None = None) -> RunResult:
    """An ensemble with its runs (draws, observations) kept, here or on Dask."""
    return run(scenario, runs=runs, seed=seed, jobs=jobs, keep_runs=True, progress=progress,
               scheduler=scheduler)


def months_between(record: Record, span: tuple[str, str]) -> list[str]:
    """The record's months inside a window, in order."""
    return [m.month for m in record.months if span[0] <= m.month <= span[1]]


def calibrate(scenario: Scenario, record: Record, fit: tuple[str, str],
              test: tuple[str, str], runs: int = 2000, accept: float = ACCEPT,
              seed: int | None = None, jobs: int = 1, test_runs: int | None = None,
              progress: bool = False, scheduler: str | None = None
              ) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Fit on `fit`, score on `test`: the summary (JSON-ready), the posterior table and the
    prior's draws (run and `drawn:` columns of every run).

    Raises:
        InputError: windows that overlap or hold no recorded month, an `accept` outside
            (0, 1], or a scenario that does not observe what the record gives.
    """
    if not 0 < accept <= 1:
        raise InputError(f"--accept: expected a share in (0, 1], got {accept}")
    if not fit[1] < test[0]:
        raise InputError(f"the test window ({test[0]}:{test[1]}) must start after the fit "
                         f"window ends ({fit[1]}): out-of-sample means months not fitted")
    seed = scenario.seed if seed is None else seed
    aims = targets(scenario, record)
    fit_months, test_months = months_between(record, fit), months_between(record, test)
    for what, months, span in (("fit", fit_months, fit), ("test", test_months, test)):
        if not months:
            raise InputError(f"--{what} {span[0]}:{span[1]}: the record has no month there "
                             f"(it covers {record.months[0].month} to "
                             f"{record.months[-1].month})")
    prior = simulate(scenario, runs, seed, jobs, progress, scheduler)
    assert prior.runs is not None  # kept
    d = discrepancy(prior, record, aims, fit_months)
    kept = accept_runs(d, accept)
    table = posterior_table(prior.runs, kept, d)
    fitted = dataclasses.replace(scenario, posterior=as_posterior(table))
    n_test = test_runs or runs
    models = {"prior": scenario, "calibrated": fitted,
              "prior, forcing-free": without_inputs(scenario, record),
              "calibrated, forcing-free": without_inputs(fitted, record)}
    tested = {name: simulate(s, n_test, seed + 1, jobs, progress, scheduler)
              for name, s in models.items()}
    ladders = []
    for aim in aims:
        y = observed(record, aim, test_months)
        if aim["kind"] == "count":
            ladders.append({"quantity": aim["name"], "kind": "count", "coverage": {
                name: count_coverage_of(r, aim, y, test_months, seed)
                for name, r in tested.items()}})
            continue
        k = len(aim["stages"])
        forecasts = {name: model_forecast(simulated(r, aim["name"], test_months), k)
                     for name, r in tested.items()}
        forecasts.update(baselines(observed(record, aim, fit_months), len(test_months), k))
        rows = score_rows(forecasts, y, seed)
        diffs = differences(rows, "calibrated", seed)
        ladders.append({"quantity": aim["name"], "kind": "stage", "ladder": aim["ladder"],
                        "scores": {n: {s: v for s, v in row.items() if s != "per_month"}
                                   for n, row in rows.items()},
                        "calibrated_minus": diffs,
                        "verdict": verdict(rows, diffs, "calibrated")})
    summary = {
        "scenario": scenario.id, "record": record.id, "seed": seed,
        "fit": {"window": list(fit), "months": fit_months},
        "test": {"window": list(test), "months": test_months,
                 "after_record": test[1] > record.months[-1].month},
        "runs": runs, "test_runs": n_test, "accept": accept, "accepted": int(len(kept)),
        "discrepancy": {"prior_median": float(np.median(d)), "accepted_max": float(d[kept].max()),
                        "accepted_median": float(np.median(d[kept]))},
        "compared": [{k: v for k, v in a.items() if k != "stages"} for a in aims],
        "parameters": parameter_summary(prior.runs, table),
        "scores": ladders, "method": METHOD}
    draws = prior.runs[["run", *[c for c in prior.runs.columns if str(c).startswith("drawn:")]]]
    return summary, table, draws


METHOD = ("rejection ABC: the runs of a prior ensemble closest to the record over the fit "
          "window are kept, and their draws are the posterior; forecasts are shares of fresh "
          "runs per stage, mixed with 1% of the uniform before scoring; intervals resample "
          "test months")


def count_coverage_of(result: RunResult, aim: dict, y: np.ndarray, months: Sequence[str],
                      seed: int) -> dict:
    """A count's coverage by a model's bands over the test months the record gives it."""
    return count_coverage(simulated(result, aim["name"], months), y, seed)
