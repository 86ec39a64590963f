"""Studies: the facade that composes storage, samplers, schedulers and execution."""

from tuningfork.study._fixed import FixedTrial
from tuningfork.study._guards import ReproductionResult
from tuningfork.study._optimize import ObjectiveFailedError, Terminated
from tuningfork.study._process import WorkerStartupError
from tuningfork.study._study import Study, create_study, load_study
from tuningfork.study._trial import Trial
from tuningfork.study._tune import tune

__all__ = [
    "FixedTrial",
    "ObjectiveFailedError",
    "ReproductionResult",
    "Study",
    "Terminated",
    "Trial",
    "WorkerStartupError",
    "create_study",
    "load_study",
    "tune",
]
