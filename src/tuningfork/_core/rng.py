"""The one source of randomness.

Each trial's seed and generator are derived from ``(study seed, trial number)`` only, so they do
not depend on timing, on the worker or on the process. Nothing here touches the global state of
``random`` or ``numpy.random``; :func:`seed_everything` does, on purpose, when a user calls it.
"""

from __future__ import annotations

import os
import random
import secrets

import numpy as np

_SEED_BOUND = 2**32  # trial seeds fit scikit-learn's random_state and numpy's legacy seed


def new_study_seed() -> int:
    """A fresh seed for a study created without one; it is stored, so runs can be replayed."""
    return secrets.randbelow(_SEED_BOUND)


def check_seed(seed: object, what: str = "seed") -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"{what} must be an int in [0, 2**32), got {seed!r}")
    if not 0 <= int(seed) < _SEED_BOUND:
        raise ValueError(f"{what} must be an int in [0, 2**32), got {seed!r}")
    return int(seed)


def trial_seed(study_seed: int, number: int) -> int:
    """The seed handed to the objective as ``trial.seed``."""
    state = np.random.SeedSequence([study_seed, number, 0]).generate_state(1, np.uint32)
    return int(state[0])


def trial_rng(study_seed: int, number: int) -> np.random.Generator:
    """The generator samplers use for trial ``number`` (independent of ``trial_seed``)."""
    return np.random.default_rng(np.random.SeedSequence([study_seed, number, 1]))


def stream_rng(study_seed: int, *key: int) -> np.random.Generator:
    """A generator for a study-level purpose named by integers (e.g. a grid's permutation)."""
    return np.random.default_rng(np.random.SeedSequence([study_seed, 2, *key]))


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, numpy's global generator and torch (if installed).

    ``PYTHONHASHSEED`` only takes effect when set before the interpreter starts; it is set here
    for child processes, and hash-dependent ordering in this process is not changed.
    """
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import torch  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return
    torch.manual_seed(seed)
