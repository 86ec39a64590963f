"""``tune(objective, space)``: the declarative one-call entry point."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from tuningfork.space import SearchSpace, space_from_spec
from tuningfork.study._study import ObjectiveResult, Study, create_study
from tuningfork.study._trial import Trial

_CREATE_KEYS = set(inspect.signature(create_study).parameters) - {"space"}
_OPTIMIZE_KEYS = set(inspect.signature(Study.optimize).parameters) - {
    "self",
    "objective",
    "n_trials",
}


def tune(
    objective: Callable[[dict[str, Any]], ObjectiveResult],
    space: Mapping[str, Any] | SearchSpace,
    n_trials: int | None = 50,
    **kwargs: Any,
) -> Study:
    """Tune ``objective(params) -> float`` over a declared ``space``; returns the Study.

    Keywords of :func:`create_study` (``direction``, ``storage``, ``sampler``, ``seed``, ...)
    go there; the others (``timeout``, ``n_workers``, ``callbacks``, ...) to ``optimize``.
    """
    declared = space_from_spec(space)
    create_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in _CREATE_KEYS}
    unknown = sorted(set(kwargs) - _OPTIMIZE_KEYS)
    if unknown:  # before the study is created, and naming tune, not optimize
        raise TypeError(
            f"tune() got unexpected keyword argument(s) {unknown}; it takes those of "
            f"create_study ({sorted(_CREATE_KEYS)}) and of Study.optimize "
            f"({sorted(_OPTIMIZE_KEYS)})"
        )
    study = create_study(space=declared, **create_kwargs)

    def wrapped(trial: Trial) -> ObjectiveResult:
        return objective(declared.suggest_all(trial.suggest)[0])

    study.optimize(wrapped, n_trials=n_trials, **kwargs)
    return study
