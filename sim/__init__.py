"""ladder: scenario modelling of crisis escalation ladders.

Doctrinal stages are a state machine; actors are Mesa agents whose responses move a crisis
up or down the ladder; Monte Carlo ensembles give outcome distributions with honest intervals.

    import sim
    scenario = sim.load_scenario("scenarios/belarus-poland-2024.yaml")
    result = sim.run(scenario, runs=20_000, seed=7)
    result.summary["reach"]["border_incident"]   # {"p": ..., "lo": ..., "hi": ..., "se": ...}
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ladder")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"

from .engine.runner import RunResult, run  # noqa: E402
from .errors import InputError, LadderError, Problem, ValidationError  # noqa: E402
from .format.ladder import Ladder, load_ladder  # noqa: E402
from .format.scenario import Scenario, load_scenario  # noqa: E402

__all__ = ["InputError", "LadderError", "Ladder", "Problem", "RunResult", "Scenario",
           "ValidationError", "__version__", "load_ladder", "load_scenario", "run"]
