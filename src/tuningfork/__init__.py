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
)
from tuningfork._core.records import Decision, Direction, StudyRecord, TrialRecord, TrialState
from tuningfork._core.rng import seed_everything
from tuningfork.space import (
    Categorical,
    Conditional,
    Float,
    Int,
    SearchSpace,
    load_space,
)
from tuningfork.study import (
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
    "TuningforkError",
    "__version__",
    "create_study",
    "load_space",
    "load_study",
    "samplers",
    "schedulers",
    "seed_everything",
    "storage",
    "tune",
]
