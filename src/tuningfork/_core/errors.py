"""The exception hierarchy of tuningfork, in one place.

Every exception raised on purpose by tuningfork derives from :class:`TuningforkError`, and also
from the builtin that describes it best, so ``except ValueError`` keeps working for users who do
not know our types::

    TuningforkError
    ├── SpaceError (ValueError)            an invalid parameter definition
    ├── ConfigError (ValueError)           an invalid CLI / TOML / YAML configuration
    ├── NoCompletedTrialsError (ValueError) best_* asked of a study with no completed trial
    ├── StudyExistsError (ValueError)      create_study on a taken name without load_if_exists
    ├── StudyNotFoundError (KeyError)      load_study on a name that is not stored
    ├── TrialFinishedError (RuntimeError)  writing to a trial that has finished
    ├── StorageError (RuntimeError)        storage unreachable, corrupt or of a newer schema
    ├── SearchSpaceExhausted (RuntimeError) a finite space has no unvisited point left
    └── TrialPruned                        raised inside an objective to end the trial PRUNED

    TuningforkWarning (UserWarning)        a likely tuning mistake (leakage, a peek at the test
                                           data, candidates that cannot be told apart, ...)
"""

from __future__ import annotations


class TuningforkError(Exception):
    """Root of every exception tuningfork raises on purpose."""


class SpaceError(TuningforkError, ValueError):
    """A search-space definition is invalid."""


class ConfigError(TuningforkError, ValueError):
    """A configuration file or CLI argument is invalid."""


class NoCompletedTrialsError(TuningforkError, ValueError):
    """A best trial was asked for, but no trial has completed."""


class StudyExistsError(TuningforkError, ValueError):
    """A study of that name is already stored."""


class StudyNotFoundError(TuningforkError, KeyError):
    """No study of that name is stored."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class TrialFinishedError(TuningforkError, RuntimeError):
    """A finished trial is immutable; it was written to again."""


class StorageError(TuningforkError, RuntimeError):
    """The storage is unreachable, corrupt, or was written by a newer tuningfork."""


class SearchSpaceExhausted(TuningforkError, RuntimeError):
    """Every point of a finite search space has been tried."""


class TrialPruned(TuningforkError):
    """Raise inside an objective to end the trial as PRUNED (with its last reported value)."""


class TuningforkWarning(UserWarning):
    """A likely mistake in how a study is run or judged (see docs/guards.md)."""
