"""Studies: the facade that composes storage, samplers, schedulers and execution."""

from tuningfork.study._optimize import ObjectiveFailedError
from tuningfork.study._study import Study, create_study, load_study
from tuningfork.study._trial import Trial
from tuningfork.study._tune import tune

__all__ = [
    "ObjectiveFailedError",
    "Study",
    "Trial",
    "create_study",
    "load_study",
    "tune",
]
