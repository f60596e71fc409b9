"""Inputs of `ladder compare` and `ladder report`: scenario files, simulated now, and results
folders, read back; each becomes one variant.

Scenario files are run in lockstep from one seed (the first results folder's, else the first
scenario's), so variants with the same stages and actions share their random numbers run by
run (common random numbers). A variant whose structure differs from the first input's gets
seed + its position instead: its runs cannot be paired anyway.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..engine.outcomes import Totals
from ..engine.runner import DEFAULT_MAX_RUNS, Plan, RunResult, run_many
from ..errors import InputError, LadderError
from ..format.scenario import Scenario, load_scenario
from ..format.yamlio import parse_yaml
from .compare import (
    Outcomes,
    from_folder,
    from_result,
    from_totals,
    structure_of,
    widest_difference,
)


@dataclass(frozen=True)
class Variant:
    """One input, loaded or simulated.

    Attributes:
        source: the path as given.
        outcomes: its per-run outcomes (for `sim.analyses.compare.compare`).
        result: the fresh run of a scenario file; None for a results folder.
    """

    source: str
    outcomes: Outcomes
    result: RunResult | None = None

    @property
    def scenario(self) -> Scenario | None:
        """The simulated scenario; None for a results folder."""
        return self.result.scenario if self.result is not None else None


def _structure(x: Scenario | Outcomes) -> tuple:
    if isinstance(x, Scenario):
        names = [f"{a.id}.{n}" for a in x.actors for n in a.action_ids]
        return structure_of(x.ladder.stage_ids, names)
    return x.structure


def load_variants(paths: Sequence[str], runs: int | None = None, seed: int | None = None,
                  jobs: int = 1, precision: float | None = None, max_runs: int | None = None,
                  progress: bool = False, max_memory: float | None = None,
                  precision_on: str = "reach", scheduler: str | None = None,
                  every_array: bool = False) -> list[Variant]:
    """Read results folders and simulate scenario files, in the order given.

    Args:
        paths: scenario files or results folders (`ladder run --out`).
        runs: runs per scenario (default: the first folder's runs, else the first
            scenario's).
        seed: root seed (default: the first folder's seed, else the first scenario's).
        jobs: worker processes.
        precision: add chunks until every P(reach) half-width is at most this.
        precision_on: what `precision` targets: `reach` or `final` (every variant's P(reach)
            or P(final)), or `diff` (every difference `compare` gives for P(reach),
            `sim.analyses.compare.widest_difference`).
        max_runs: the cap in precision mode (default 1,000,000).
        progress: show a progress bar on stderr.
        max_memory: the bound on the scenarios' memory estimate, in bytes (see
            `sim.engine.runner.run`).
        scheduler: run the chunks on Dask ("local" or tcp://HOST:PORT; see
            `sim.engine.runner.run`); the same numbers.
        every_array: keep every per-run array of a simulated scenario (its `result.runs`
            and `.moves`, as `ladder report`'s explain section reads them), not only the
            outcomes compare pairs runs on.

    Returns:
        One Variant per path.

    Raises:
        InputError: for inconsistent options, an incomplete results folder, or a memory
            estimate above `max_memory`; LadderError for a bad file.
    """
    if max_runs is not None and precision is None:
        raise InputError("--max-runs caps --precision; use --runs for a fixed number of runs")
    loaded = [from_folder(p) if os.path.isdir(p) else load_scenario(p) for p in paths]
    folders = [x for x in loaded if isinstance(x, Outcomes)]
    scenarios = [x for x in loaded if isinstance(x, Scenario)]
    if folders and precision is not None and not scenarios:
        raise InputError("--precision adds runs, but every input is a finished results folder")
    first = folders[0] if folders else None
    if seed is None:
        seed = first.seed if first else scenarios[0].seed
    if runs is None:
        runs = first.n if first else scenarios[0].runs
    if precision is not None:
        runs = max_runs or DEFAULT_MAX_RUNS
    base = _structure(loaded[0])
    seeds = [seed if _structure(x) == base else seed + i for i, x in enumerate(loaded)
             if isinstance(x, Scenario)]
    measure = _differences(loaded, paths, seeds) if precision_on == "diff" else None
    plan = Plan(runs, precision, precision_on, measure)
    results = iter(run_many(scenarios, seeds, plan, jobs=jobs, keep_runs=True,
                            progress=progress, max_memory=max_memory, table=every_array,
                            scheduler=scheduler)
                   if scenarios else ())
    out = []
    for x, path in zip(loaded, paths, strict=True):
        if isinstance(x, Outcomes):
            out.append(Variant(str(path), x))
        else:
            result = next(results)
            out.append(Variant(str(path), from_result(result, path), result))
    return out


def scenario_of_folder(summary: dict) -> tuple[Scenario | None, str]:
    """The scenario a results folder was made from, if its file is still there unchanged.

    The file named in the provenance is loaded when its SHA-256 and its ladder's match the
    recorded ones; the recorded `--set` overrides are applied again.

    Returns:
        The scenario (or None) and, when None, the reason in words.
    """
    prov = summary.get("provenance", {})
    path = prov.get("scenario_file")
    if not path or not Path(path).is_file():
        return None, f"the scenario file ({path or 'not recorded'}) is not available"
    try:
        overrides = {}
        for item in prov.get("overrides", []):
            key, _, text = item.partition("=")
            overrides[key] = parse_yaml(text, f"--set {key}")
        scenario = load_scenario(path, overrides)
    except LadderError as exc:
        return None, f"the scenario file {path} no longer loads ({str(exc).splitlines()[0]})"
    if (scenario.sha256, scenario.ladder.sha256) != (prov.get("scenario_sha256"),
                                                     prov.get("ladder_sha256")):
        return None, (f"the scenario file {path} or its ladder has changed since the run "
                      "(SHA-256 differs)")
    return scenario, ""


def _differences(loaded: Sequence[Scenario | Outcomes], paths: Sequence[str],
                 seeds: Sequence[int]) -> Callable[[Sequence[Totals]], float]:
    """The measure of `--precision-on diff`: given the scenarios' totals so far (in input
    order, with their seeds), the widest difference interval of the comparison they would
    make with the results folders among the inputs."""
    def measure(totals: Sequence[Totals]) -> float:
        fresh = iter(zip(seeds, totals, strict=True))
        variants = []
        for x, path in zip(loaded, paths, strict=True):
            if isinstance(x, Outcomes):
                variants.append(x)
            else:
                seed, t = next(fresh)
                variants.append(from_totals(t, x, seed, str(path)))
        return widest_difference(variants)
    return measure
