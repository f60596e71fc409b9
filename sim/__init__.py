"""ladder: scenario modelling of crisis escalation ladders.

Doctrinal stages are a state machine; actors are Mesa agents whose responses move a crisis
up or down the ladder; Monte Carlo ensembles give outcome distributions with honest intervals.

    import sim
    scenario = sim.load_scenario("scenarios/belarus-poland-2024.yaml")
    result = sim.run(scenario, runs=20_000, seed=7)
    result.summary["reach"]["border_incident"]   # {"p": ..., "lo": ..., "hi": ..., "se": ...}
    result.summary_frame()                       # the same as a tidy DataFrame
    sim.parameters(scenario)                     # every path --set and --vary accept
    sim.load_results("results/base")             # a `ladder run --out` folder read back

The package is layered (docs/architecture.md): `sim.format` (files), `sim.engine` (the
model and the runner), `sim.analyses` and `sim.explore`, `sim.present`, `sim.workshop`, and
`sim.cli`. The names below are imported on first use, so `import sim` (and `ladder --help`)
stays fast and loads Mesa, SciPy and pandas only when a simulation needs them. `sim.ema` is
the EMA Workbench adapter (`sim.ema.model(...)`, the `ema` extra; docs/python.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The one place the version is written: pyproject.toml reads it from here (a literal, so
# `ladder --version` needs no package metadata lookup).
__version__ = "0.1.0"

# public name -> module that defines it
_PUBLIC = {
    "InputError": "sim.errors", "LadderError": "sim.errors", "Problem": "sim.errors",
    "ValidationError": "sim.errors",
    "Ladder": "sim.format.ladder", "load_ladder": "sim.format.ladder",
    "Scenario": "sim.format.scenario", "load_scenario": "sim.format.scenario",
    "RunResult": "sim.engine.runner", "run": "sim.engine.runner",
    "EscalationModel": "sim.engine.model",
    "LoadedResults": "sim.engine.loaded", "load_results": "sim.engine.loaded",
    "parameters": "sim.engine.frames",
}
# public name -> the module that is that name (`sim.ema`)
_MODULES = {"ema": "sim.explore.ema"}

__all__ = ["EscalationModel", "InputError", "Ladder", "LadderError", "LoadedResults", "Problem",
           "RunResult", "Scenario", "ValidationError", "__version__", "ema", "load_ladder",
           "load_results", "load_scenario", "parameters", "run"]

if TYPE_CHECKING:
    from .engine.frames import parameters
    from .engine.loaded import LoadedResults, load_results
    from .engine.model import EscalationModel
    from .engine.runner import RunResult, run
    from .errors import InputError, LadderError, Problem, ValidationError
    from .explore import ema
    from .format.ladder import Ladder, load_ladder
    from .format.scenario import Scenario, load_scenario


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    elif name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    else:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC) | set(_MODULES))
