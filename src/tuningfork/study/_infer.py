"""The search space of a define-by-run study, inferred from the trials it has completed."""

from __future__ import annotations

from tuningfork._core.history import History
from tuningfork.space import Distribution, SearchSpace


def infer_space(history: History) -> SearchSpace:
    """Parameters that every completed trial has, with the same distribution, in first-seen
    order. Empty until a trial completes (the first trial of a study samples one by one)."""
    completed = history.completed()
    if not completed:
        return SearchSpace()
    common: dict[str, Distribution] = dict(completed[0].distributions)  # type: ignore[arg-type]
    for record in completed[1:]:
        for name in list(common):
            if record.distributions.get(name) != common[name]:
                del common[name]
        if not common:
            break
    return SearchSpace(common)
