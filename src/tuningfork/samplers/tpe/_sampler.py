"""The TPE sampler: reads a History, fits Parzen estimators of good and bad trials, proposes.

Tree-structured Parzen Estimator (Bergstra et al. 2011), with the components Watanabe (2023)
recommends: a multivariate kernel, a linear split capped at 25 good trials, uniform weights,
Scott's bandwidths with a floor, a prior component, and the best density ratio among candidates
drawn from the good trials' estimator. The kernels live in :mod:`._parzen`.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tuningfork._core.history import History, HistoryMark
from tuningfork._core.records import Direction, TrialRecord, TrialState
from tuningfork.samplers._base import Sampler
from tuningfork.samplers._fidelity import FidelityView, fidelity_view
from tuningfork.samplers._finite import PROPOSAL_ATTR
from tuningfork.samplers.tpe import _parzen
from tuningfork.space import (
    Categorical,
    Conditional,
    Distribution,
    Float,
    Int,
    SearchSpace,
    distribution_to_dict,
    space_to_dict,
)
from tuningfork.space._distributions import _typed_key

# Discrete numeric domains with more points than this are modelled as continuous on the unit
# interval (``from_unit`` still rounds to a point): the bin edges would cost memory and time.
_MAX_BINS = 1000
_MAX_CACHED_SPACES = 16


def default_gamma(n: int) -> int:
    """How many of ``n`` finished trials form the good group: ``min(ceil(0.1 * n), 25)``."""
    return min(math.ceil(0.1 * n), 25)


def default_n_startup_trials(n_params: int) -> int:
    """Random trials before the model is used: ``max(10, 2 * n_params)``, at most 25."""
    return min(max(10, 2 * n_params), 25)


class TPESampler(Sampler):
    """Tree-structured Parzen Estimator.

    Finished trials are split into a good group (the best ``gamma(n)`` of ``n``) and a bad
    group; a Parzen estimator ``l`` is fitted to the good group and ``g`` to the bad one, and
    the proposal is, among ``n_candidates`` draws from ``l``, the one with the largest
    ``l(x) / g(x)``.

    * ``n_startup_trials``: complete trials before the model is used (until then proposals are
      uniform, and cost nothing that grows with the history); default
      :func:`default_n_startup_trials` of the space's number of parameters.
    * ``gamma``: ``n -> size of the good group``; default :func:`default_gamma`.
    * ``multivariate``: one joint kernel per group of parameters that are active together
      (unconditional parameters form one group; conditional ones are grouped by their exact
      condition, and each group is fitted on the trials where it is active). ``False``: one
      independent estimator per parameter (the original TPE).
    * ``constant_liar``: RUNNING trials count as bad, at their params or their pending proposal
      (``system_attrs["proposal"]``), so parallel workers spread out.
    * ``prior_weight`` and ``min_bandwidth``: see :mod:`tuningfork.samplers.tpe._parzen`.
    * ``multi_fidelity`` (default): learn from partial results, as BOHB does. While fewer than
      ``n_startup_trials`` trials are COMPLETE but at least that many finished trials reached
      some report step, the model is fitted on the values at the largest such step (trials
      stopped before it count as bad), instead of waiting for complete trials. With a
      scheduler that stops most trials, the model starts much earlier and learns from every
      stopped trial. Without stopped trials it changes nothing. See
      :mod:`tuningfork.samplers._fidelity`.

    Trials: FAILED ones are ignored; PRUNED ones rank below every COMPLETE one (they were
    stopped for looking bad), so they always fall in the bad group; WAITING ones are ignored.
    Maximized objectives are negated. With several objectives, trials rank by non-dominated
    sorting (the front), then by the sum of their per-objective ranks within a front.

    There is no seed: randomness comes only from the generator passed to ``propose``. The
    instance caches unit-cube arrays of the trials it has seen (one set per space) and updates
    them with the trials changed since its last call; it is thread-safe, and pickles without
    its cache.
    """

    def __init__(
        self,
        n_startup_trials: int | None = None,
        n_candidates: int = 24,
        gamma: Callable[[int], int] | None = None,
        multivariate: bool = True,
        constant_liar: bool = True,
        *,
        prior_weight: float = 1.0,
        min_bandwidth: float = 0.03,
        multi_fidelity: bool = True,
    ) -> None:
        if n_startup_trials is not None and (
            isinstance(n_startup_trials, bool)
            or not isinstance(n_startup_trials, int)
            or n_startup_trials < 0
        ):
            raise ValueError(
                f"n_startup_trials must be None or an int >= 0, got {n_startup_trials!r}"
            )
        if isinstance(n_candidates, bool) or not isinstance(n_candidates, int) or n_candidates < 1:
            raise ValueError(f"n_candidates must be an int >= 1, got {n_candidates!r}")
        if gamma is not None and not callable(gamma):
            raise ValueError(f"gamma must be a function n -> int, got {gamma!r}")
        if not prior_weight > 0 or not math.isfinite(prior_weight):
            raise ValueError(f"prior_weight must be a finite number > 0, got {prior_weight!r}")
        if not 0 < min_bandwidth <= 1:
            raise ValueError(f"min_bandwidth must be in (0, 1], got {min_bandwidth!r}")
        self.n_startup_trials = n_startup_trials
        self.n_candidates = n_candidates
        self.gamma = gamma
        self.multivariate = bool(multivariate)
        self.constant_liar = bool(constant_liar)
        self.prior_weight = float(prior_weight)
        self.min_bandwidth = float(min_bandwidth)
        self.multi_fidelity = bool(multi_fidelity)
        self._init_cache()

    def _init_cache(self) -> None:
        self._lock = threading.Lock()
        self._table = _TrialTable()
        self._models: OrderedDict[str, _SpaceModel] = OrderedDict()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in ("_lock", "_table", "_models"):
            del state[name]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_cache()

    def __repr__(self) -> str:
        return (
            f"TPESampler(n_startup_trials={self.n_startup_trials!r}, "
            f"n_candidates={self.n_candidates}, multivariate={self.multivariate}, "
            f"constant_liar={self.constant_liar})"
        )

    def describe(self) -> dict[str, Any]:
        return {
            "name": type(self).__name__,
            "n_startup_trials": self.n_startup_trials,
            "n_candidates": self.n_candidates,
            "gamma": "default" if self.gamma is None else repr(self.gamma),
            "multivariate": self.multivariate,
            "constant_liar": self.constant_liar,
            "prior_weight": self.prior_weight,
            "min_bandwidth": self.min_bandwidth,
            "multi_fidelity": self.multi_fidelity,
        }

    # -- the contract ------------------------------------------------------------------------
    def propose(
        self, space: SearchSpace, history: History, rng: np.random.Generator
    ) -> dict[str, Any]:
        if len(space) == 0:
            return {}
        with self._lock:
            n_complete = self._table.update(history)
            n_startup = self._n_startup(len(space))
            view = self._fidelity(n_complete, n_startup)
            if n_complete < n_startup and view is None:
                return space.from_unit_row(rng.random(len(space)).tolist())
            key = json.dumps(space_to_dict(space), sort_keys=True)
            model = self._model(key, lambda: _SpaceModel.of_space(space, self.multivariate))
            return self._propose_with(model, history, rng, view)

    def propose_one(
        self, name: str, distribution: Distribution, history: History, rng: np.random.Generator
    ) -> Any:
        if distribution.n_points == 1:
            return distribution.from_unit(0.5)
        with self._lock:
            n_complete = self._table.update(history)
            n_startup = self._n_startup(1)
            view = self._fidelity(n_complete, n_startup)
            if n_complete < n_startup and view is None:
                return distribution.from_unit(rng.random())
            key = json.dumps(["one", name, distribution_to_dict(distribution)], sort_keys=True)
            model = self._model(key, lambda: _SpaceModel.of_one(name, distribution))
            return self._propose_with(model, history, rng, view)[name]

    # -- internals ---------------------------------------------------------------------------
    def _n_startup(self, n_params: int) -> int:
        if self.n_startup_trials is not None:
            return self.n_startup_trials
        return default_n_startup_trials(n_params)

    def _fidelity(self, n_complete: int, n_startup: int) -> FidelityView | None:
        if not self.multi_fidelity or self._table.n_objectives != 1:
            return None
        return fidelity_view(self._table.finished, n_complete, max(n_startup, 1))

    def _model(self, key: str, build: Callable[[], _SpaceModel]) -> _SpaceModel:
        model = self._models.get(key)
        if model is None:
            model = build()
            self._models[key] = model
            while len(self._models) > _MAX_CACHED_SPACES:
                self._models.popitem(last=False)
        else:
            self._models.move_to_end(key)
        model.sync(self._table)
        return model

    def _propose_with(
        self,
        model: _SpaceModel,
        history: History,
        rng: np.random.Generator,
        view: FidelityView | None = None,
    ) -> dict[str, Any]:
        running = model.running_rows(self._table) if self.constant_liar else np.empty((0, model.d))
        gamma = self.gamma or default_gamma
        y, pruned = model.y[: model.n], model.pruned[: model.n]
        if view is not None:
            y, pruned = _at_fidelity(model.numbers[: model.n], y, pruned, view)
        n_complete = int(np.count_nonzero(~pruned))
        keys = _rank_keys(y, pruned, history.directions, _n_good(gamma, model.n, n_complete))
        params: dict[str, Any] = {}
        for group in model.groups:
            condition = model.conditions[group[0]]
            if condition is not None and not condition.active(params):
                continue
            for j in group:
                if model.dims[j] is None:  # one point: nothing to choose
                    params[model.names[j]] = model.dists[j].from_unit(0.5)
            modelled = [j for j in group if model.dims[j] is not None]
            if modelled:
                u = self._sample_group(model, modelled, keys, pruned, running, gamma, rng)
                for j, uj in zip(modelled, u, strict=True):
                    params[model.names[j]] = model.dists[j].from_unit(float(uj))
        return {name: params[name] for name in model.names if name in params}

    def _sample_group(
        self,
        model: _SpaceModel,
        cols: list[int],
        keys: np.ndarray,
        pruned: np.ndarray,
        running: np.ndarray,
        gamma: Callable[[int], int],
        rng: np.random.Generator,
    ) -> np.ndarray:
        x = model.x[: model.n][:, cols]
        rows = np.flatnonzero(~np.isnan(x).any(axis=1))  # the trials where the group is active
        complete = rows[~pruned[rows]]
        # keys: (row = trial order, tie-break, primary); lexsort sorts by the last key first
        order = complete[np.lexsort(keys[:, complete])]
        n_good = _n_good(gamma, len(rows), len(complete))
        good = np.sort(order[:n_good])  # rows are in trial-number order, whatever the ranking
        bad = np.setdiff1d(rows, good, assume_unique=True)
        dims = [dim for j in cols if (dim := model.dims[j]) is not None]
        bad_x = x[bad]
        if len(running):
            liars = running[:, cols]
            bad_x = np.concatenate([bad_x, liars[~np.isnan(liars).any(axis=1)]])
        below = _parzen.fit(
            x[good], dims, prior_weight=self.prior_weight, min_bandwidth=self.min_bandwidth
        )
        above = _parzen.fit(
            bad_x, dims, prior_weight=self.prior_weight, min_bandwidth=self.min_bandwidth
        )
        candidates = _parzen.sample(below, rng, self.n_candidates)
        score = _parzen.log_pdf(below, candidates) - _parzen.log_pdf(above, candidates)
        best: np.ndarray = candidates[int(np.argmax(score))]
        return best


def _at_fidelity(
    numbers: np.ndarray, y: np.ndarray, pruned: np.ndarray, view: FidelityView
) -> tuple[np.ndarray, np.ndarray]:
    """Values and "ranked as bad" flags at the view's step: a trial observed there gets its
    value; a COMPLETE one that is not keeps its final value; every other one is bad."""
    y_at = y.copy()
    bad = pruned.copy()
    for i, number in enumerate(numbers.tolist()):
        value = view.values.get(number)
        if value is not None:
            y_at[i, 0] = value
            bad[i] = False
    return y_at, bad


def _n_good(gamma: Callable[[int], int], n_finished: int, n_complete: int) -> int:
    n = gamma(n_finished)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"gamma({n_finished}) returned {n!r}; expected an int >= 0")
    return min(int(n), n_complete)


def _rank_keys(
    y: np.ndarray, pruned: np.ndarray, directions: Sequence[Direction], n_needed: int
) -> np.ndarray:
    """``(3, n)`` sort keys of the observations for ``np.lexsort`` (best first): the row (rows
    are in trial-number order, so ties go to the older trial), a tie-break, the primary key.

    One objective: the score (negated when maximized). Several: the non-dominated front, then
    the sum of per-objective ranks; only the fronts holding the best ``n_needed`` are exact.
    Pruned rows are ranked apart by the caller.
    """
    n = len(y)
    keys = np.zeros((3, n))
    keys[0] = np.arange(n)
    if n == 0:
        return keys
    signs = np.array([-1.0 if d is Direction.MAXIMIZE else 1.0 for d in directions])
    scores = y * signs
    complete = ~pruned
    if len(directions) == 1:
        keys[1] = np.where(complete, scores[:, 0], 0.0)
        return keys
    idx = np.flatnonzero(complete)
    fronts, tie = _nondominated_keys(scores[idx], max(n_needed, 1))
    keys[2, idx] = fronts
    keys[1, idx] = tie
    return keys


def _nondominated_keys(scores: np.ndarray, max_needed: int) -> tuple[np.ndarray, np.ndarray]:
    """Front index (0 = Pareto front) and a within-front tie-break for minimized ``scores``.

    Only the first fronts that hold ``max_needed`` points are peeled; every other point gets a
    front past them. A point dominated by ``max_needed`` others cannot be among the best
    ``max_needed``, and the set of points dominated by fewer is closed under "dominates", so
    the fronts are exact within it.
    """
    n = len(scores)
    counts = np.zeros(n, dtype=np.int64)
    for start in range(0, n, 256):  # blocks keep the (block, n, m) comparison small
        block = scores[start : start + 256]
        dominates = np.all(block[:, None, :] <= scores[None, :, :], axis=2) & np.any(
            block[:, None, :] < scores[None, :, :], axis=2
        )
        counts += dominates.sum(axis=0)
    fronts = np.full(n, float(n))
    candidates = np.flatnonzero(counts < max_needed)
    sub = scores[candidates]
    left = np.ones(len(candidates), dtype=bool)
    front = 0
    while left.any():
        rest = sub[left]
        dominated = np.any(
            np.all(rest[:, None, :] <= rest[None, :, :], axis=2)
            & np.any(rest[:, None, :] < rest[None, :, :], axis=2),
            axis=0,
        )
        members = np.flatnonzero(left)[~dominated]
        fronts[candidates[members]] = front
        left[members] = False
        front += 1
    ranks = np.argsort(np.argsort(scores, axis=0, kind="stable"), axis=0, kind="stable")
    return fronts, ranks.sum(axis=1).astype(float)


# -- cached state ---------------------------------------------------------------------------------


@dataclass
class _TrialTable:
    """What the sampler knows of the history, updated with the records changed since."""

    mark: HistoryMark | None = None
    n_objectives: int = 0
    records: dict[int, TrialRecord] = field(default_factory=dict)
    running: dict[int, TrialRecord] = field(default_factory=dict)
    finished: list[TrialRecord] = field(default_factory=list)  # COMPLETE (usable) and PRUNED
    n_complete: int = 0
    generation: int = 0  # bumped on a reset: the space models then start over

    def update(self, history: History) -> int:
        """Bring the table to ``history``; return the number of usable COMPLETE trials."""
        changed = history.changed_since(self.mark) if self.mark is not None else None
        if changed is None or len(history.directions) != self.n_objectives:
            if len(history.directions) != self.n_objectives:
                self._reset(len(history.directions))
            # Not a snapshot extended from the last one: compare record identities.
            records = self.records
            changed = [r for r in history.trials if records.get(r.number) is not r]
        if not self._apply(changed) or len(self.records) != len(history.trials):
            self._reset(len(history.directions))  # trials vanished or finished ones changed
            self._apply(history.trials)
        self.mark = history.mark()
        return self.n_complete

    def _reset(self, n_objectives: int) -> None:
        self.n_objectives = n_objectives
        self.records = {}
        self.running = {}
        self.finished = []
        self.n_complete = 0
        self.generation += 1

    def _apply(self, changed: Sequence[TrialRecord]) -> bool:
        for record in changed:
            old = self.records.get(record.number)
            self.records[record.number] = record
            if old is not None and old.state.is_finished():
                if (record.state, record.values, dict(record.params)) != (
                    old.state,
                    old.values,
                    dict(old.params),
                ):
                    return False
                continue
            if record.state is TrialState.RUNNING:
                self.running[record.number] = record
                continue
            self.running.pop(record.number, None)
            if record.state is TrialState.COMPLETE and _usable(record.values, self.n_objectives):
                self.finished.append(record)
                self.n_complete += 1
            elif record.state is TrialState.PRUNED:
                self.finished.append(record)
        return True


def _usable(values: tuple[float, ...] | None, n_objectives: int) -> bool:
    return (
        values is not None
        and len(values) == n_objectives
        and all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)
    )


class _SpaceModel:
    """One space's parameters, their groups and kernels, and growing unit-cube arrays of the
    finished trials (NaN where a parameter is missing or inactive)."""

    def __init__(
        self,
        names: list[str],
        dists: list[Distribution],
        conditions: list[Conditional | None],
        multivariate: bool,
    ) -> None:
        self.names = names
        self.dists = dists
        self.conditions = conditions
        self.d = len(names)
        self.dims = [_dim_of(dist) for dist in dists]
        self.groups = _groups(conditions, multivariate)
        self.generation = -1
        self.processed = 0
        self.n = 0
        self.x = np.empty((0, self.d))
        self.y = np.empty((0, 0))
        self.pruned = np.empty(0, dtype=bool)
        self.numbers = np.empty(0, dtype=np.int64)

    @classmethod
    def of_space(cls, space: SearchSpace, multivariate: bool) -> _SpaceModel:
        names = list(space.names())
        return cls(
            names, [space[n] for n in names], [space.condition(n) for n in names], multivariate
        )

    @classmethod
    def of_one(cls, name: str, distribution: Distribution) -> _SpaceModel:
        return cls([name], [distribution], [None], False)

    def row(self, params: Mapping[str, Any]) -> np.ndarray:
        row = np.full(self.d, np.nan)
        for j, (name, dist) in enumerate(zip(self.names, self.dists, strict=True)):
            if name in params:
                value = params[name]
                if dist.contains(value):
                    row[j] = dist.to_unit(value)
        return row

    def sync(self, table: _TrialTable) -> None:
        """Append the trials that finished since the last sync (all of them after a reset)."""
        if self.generation != table.generation:
            self.generation = table.generation
            self.processed = self.n = 0
            self.x = np.empty((0, self.d))
            self.y = np.empty((0, table.n_objectives))
            self.pruned = np.empty(0, dtype=bool)
            self.numbers = np.empty(0, dtype=np.int64)
        new = table.finished[self.processed :]
        if not new:
            return
        need = self.n + len(new)
        if need > len(self.x):  # grow geometrically: appending stays amortized O(1) per trial
            capacity = max(need, 2 * len(self.x), 64)
            self.x = _grown(self.x, capacity, self.n)
            self.y = _grown(self.y, capacity, self.n)
            self.pruned = _grown(self.pruned, capacity, self.n)
            self.numbers = _grown(self.numbers, capacity, self.n)
        n_obj = table.n_objectives
        for record in new:
            i = self.n
            self.x[i] = self.row(record.params)
            self.pruned[i] = record.state is TrialState.PRUNED
            self.y[i] = record.values if record.state is TrialState.COMPLETE else [np.nan] * n_obj
            self.numbers[i] = record.number
            self.n += 1
        self.processed = len(table.finished)
        # Keep the rows in trial-number order (they arrive in finishing order), so that the
        # proposal does not depend on when the sampler happened to read the history.
        tail = self.numbers[: self.n]
        if np.any(tail[1:] < tail[:-1]):
            order = np.argsort(tail, kind="stable")
            for array in (self.x, self.y, self.pruned, self.numbers):
                array[: self.n] = array[: self.n][order]

    def running_rows(self, table: _TrialTable) -> np.ndarray:
        rows = []
        for number in sorted(table.running):
            record = table.running[number]
            proposal = record.system_attrs.get(PROPOSAL_ATTR)
            params: Mapping[str, Any] = record.params
            if isinstance(proposal, Mapping):
                params = {**proposal, **params}
            rows.append(self.row(params))
        return np.asarray(rows, dtype=float).reshape(len(rows), self.d)


def _grown(array: np.ndarray, capacity: int, n: int) -> np.ndarray:
    out = np.empty((capacity, *array.shape[1:]), dtype=array.dtype)
    out[:n] = array[:n]
    return out


def _dim_of(dist: Distribution) -> _parzen.Dim | None:
    n = dist.n_points
    if n == 1:
        return None
    if isinstance(dist, Categorical):
        return _parzen.categorical(len(dist.choices))
    if n is None or n > _MAX_BINS:
        return _parzen.continuous()
    if isinstance(dist, Int) and dist.log:
        lo, hi = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
        cuts = [(math.log(k - 0.5) - lo) / (hi - lo) for k in range(dist.low, dist.high + 2)]
        return _parzen.discrete(cuts)
    assert isinstance(dist, (Int, Float))
    return _parzen.equal_bins(n)


def _groups(conditions: list[Conditional | None], multivariate: bool) -> list[list[int]]:
    """Indices of parameters modelled jointly, in order of their first parameter: those with
    the same condition (or none) go together, since they are active in the same trials."""
    if not multivariate:
        return [[j] for j in range(len(conditions))]
    groups: dict[Hashable, list[int]] = {}
    for j, condition in enumerate(conditions):
        key: Hashable = None
        if condition is not None:
            key = tuple(
                sorted(
                    (parent, tuple(_typed_key(v) for v in accepted))
                    for parent, accepted in condition.when.items()
                )
            )
        groups.setdefault(key, []).append(j)
    return sorted(groups.values(), key=lambda g: g[0])
