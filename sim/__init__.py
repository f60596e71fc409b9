"""ladder: scenario modelling of crisis escalation ladders.

Doctrinal stages are a state machine; actors are Mesa agents whose responses move a crisis
up or down the ladder; Monte Carlo ensembles give outcome distributions with honest intervals.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ladder")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"

from .errors import InputError, LadderError, Problem, ValidationError  # noqa: E402

__all__ = ["InputError", "LadderError", "Problem", "ValidationError", "__version__"]
