"""Successive-halving schedule of scikit-learn's HalvingRandomSearchCV, in exact integers.

Given ``n_candidates``, the resource bounds and ``factor``:

- ``n_required = 1 + floor(log_factor(n_candidates))`` iterations bring the candidates down
  to fewer than ``factor``;
- ``min_resources="exhaust"`` raises the smallest resource to
  ``max(smallest, max_resources // factor**(n_required - 1))`` so that the last iteration uses
  as much of the resource as possible (more than ``max_resources / factor`` whenever the
  number of candidates allows it);
- ``n_possible = 1 + floor(log_factor(max_resources // min_resources))`` iterations fit in the
  resource; without ``aggressive_elimination`` the schedule has ``min(n_possible,
  n_required)`` iterations, iteration ``i`` using ``min_resources * factor**i`` (never more
  than ``max_resources``) and keeping ``ceil(n / factor)`` of its ``n`` candidates.

scikit-learn computes the logarithms in floating point (``math.log(243, 3)`` is ``4.999...``),
which can cost an iteration exactly at powers of ``factor``; here they are computed in
integers, like :mod:`tuningfork.schedulers._rungs`.
"""

from __future__ import annotations

from dataclasses import dataclass


def ilog(value: int, base: int) -> int:
    """``floor(log_base(value))`` for ``value >= 1``, in integers."""
    k, power = 0, base
    while power <= value:
        power *= base
        k += 1
    return k


@dataclass(frozen=True)
class HalvingSchedule:
    """The iterations of one successive-halving run."""

    min_resources: int
    max_resources: int
    factor: int
    n_resources: tuple[int, ...]
    n_candidates: tuple[int, ...]
    n_required_iterations: int
    n_possible_iterations: int

    @property
    def n_iterations(self) -> int:
        return len(self.n_resources)


def halving_schedule(
    n_candidates: int,
    smallest: int,
    max_resources: int,
    factor: int,
    *,
    min_resources: int | str = "exhaust",
    aggressive_elimination: bool = False,
) -> HalvingSchedule:
    """The schedule for ``n_candidates`` first-iteration candidates.

    ``smallest`` is the resource ``min_resources="smallest"`` stands for (scikit-learn: for
    ``n_samples``, ``2 * n_splits`` times the number of classes for a classifier; else 1).
    The number of candidates per iteration assumes every kept candidate can be promoted; a run
    promotes fewer when candidates score NaN.
    """
    for what, value, low in (
        ("n_candidates", n_candidates, 1),
        ("max_resources", max_resources, 1),
        ("factor", factor, 2),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{what} must be an int >= {low}, got {value!r}")
    if min_resources in ("exhaust", "smallest"):
        low = smallest
    elif isinstance(min_resources, int) and not isinstance(min_resources, bool):
        low = min_resources
    else:
        raise ValueError(
            f"min_resources must be 'exhaust', 'smallest' or an int >= 1, got {min_resources!r}"
        )
    if low < 1:
        raise ValueError(f"min_resources must be >= 1, got {low!r}")
    if low > max_resources:
        raise ValueError(
            f"min_resources={low} is greater than max_resources={max_resources}; lower "
            "min_resources or raise max_resources"
        )
    n_required = 1 + ilog(n_candidates, factor)
    if min_resources == "exhaust":
        low = max(low, max_resources // factor ** (n_required - 1))
    n_possible = 1 + ilog(max_resources // low, factor)
    n_iterations = n_required if aggressive_elimination else min(n_possible, n_required)
    resources, candidates = [], []
    n = n_candidates
    for itr in range(n_iterations):
        power = max(0, itr - n_required + n_possible) if aggressive_elimination else itr
        resources.append(min(factor**power * low, max_resources))
        candidates.append(n)
        n = -(-n // factor)
    return HalvingSchedule(
        min_resources=low,
        max_resources=max_resources,
        factor=factor,
        n_resources=tuple(resources),
        n_candidates=tuple(candidates),
        n_required_iterations=n_required,
        n_possible_iterations=n_possible,
    )
