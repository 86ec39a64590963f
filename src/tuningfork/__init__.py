"""tuningfork: hyperparameter tuning with better results per trial, little overhead per trial,
honest results, and the same study from a laptop to a cluster."""

from tuningfork import samplers, schedulers, storage
from tuningfork._core.errors import (
    ConfigError,
    NoCompletedTrialsError,
    SearchSpaceExhausted,
    SpaceError,
    StorageError,
    StudyExistsError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialPruned,
    TuningforkError,
    TuningforkWarning,
)
from tuningfork._core.records import Decision, Direction, StudyRecord, TrialRecord, TrialState
from tuningfork._core.rng import seed_everything
from tuningfork.integrations.validation import check_leakage, cross_val_objective
from tuningfork.space import (
    Categorical,
    Conditional,
    Float,
    Int,
    SearchSpace,
    load_space,
)
from tuningfork.study import (
    FixedTrial,
    ObjectiveFailedError,
    Study,
    Trial,
    create_study,
    load_study,
    tune,
)

__version__ = "0.1.0"

__all__ = [
    "Categorical",
    "Conditional",
    "ConfigError",
    "Decision",
    "Direction",
    "FixedTrial",
    "Float",
    "Int",
    "NoCompletedTrialsError",
    "ObjectiveFailedError",
    "SearchSpace",
    "SearchSpaceExhausted",
    "SpaceError",
    "StorageError",
    "Study",
    "StudyExistsError",
    "StudyNotFoundError",
    "StudyRecord",
    "Trial",
    "TrialFinishedError",
    "TrialPruned",
    "TrialRecord",
    "TrialState",
    "TuningSearchCV",
    "TuningforkError",
    "TuningforkWarning",
    "__version__",
    "check_leakage",
    "create_study",
    "cross_val_objective",
    "load_space",
    "load_study",
    "samplers",
    "schedulers",
    "seed_everything",
    "storage",
    "tune",
]

#: Public names whose module needs an optional extra: imported on first access, so that
#: ``import tuningfork`` does not import scikit-learn.
_LAZY = {"TuningSearchCV": "tuningfork.integrations.sklearn"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tuningfork' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
