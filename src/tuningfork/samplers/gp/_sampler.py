"""GPSampler: Bayesian optimization with a Gaussian process and log expected improvement."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from tuningfork._core.history import History
from tuningfork._core.records import Direction, TrialState
from tuningfork.samplers._base import Sampler
from tuningfork.samplers._fidelity import FidelityView, fidelity_view
from tuningfork.samplers._finite import PROPOSAL_ATTR, used_keys
from tuningfork.samplers._random import RandomSampler
from tuningfork.samplers.gp._acquisition import log_ei, log_ei_with_grad, optimize_acquisition
from tuningfork.samplers.gp._encoding import Encoding
from tuningfork.samplers.gp._gp import GaussianProcess, fit_hyperparameters, standardize
from tuningfork.samplers.gp._kernels import Array
from tuningfork.samplers.gp._threads import single_threaded_blas
from tuningfork.space import SearchSpace

_N_STARTUP_CANDIDATES = 256
_N_INCUMBENTS = 5


def default_startup_trials(n_dims: int) -> int:
    """``2 (d + 1)`` space-filling trials before the first GP, capped at 20 (d: dimensions
    that can take more than one value)."""
    return min(2 * (n_dims + 1), 20)


class GPSampler(Sampler):
    """Gaussian-process Bayesian optimization for one objective.

    The model is an exact GP on the unit cube with a Matérn-5/2 ARD kernel (categorical
    parameters by an overlap kernel), fitted by maximum a posteriori on standardized values
    at every proposal; the next point maximizes log expected improvement (Ament et al., 2023).

    * **Startup**: until ``n_startup_trials`` trials have completed (default
      :func:`default_startup_trials`: ``min(2 (d + 1), 20)``), proposals are a space-filling
      random design: of 256 random points, the one farthest from every trial so far (running
      ones included). No GP work is done then.
    * **Which trials teach the model**: COMPLETE trials; FAILED trials are ignored. PRUNED
      trials teach it through ``multi_fidelity`` (default, BOHB-like): while fewer than
      ``n_startup_trials`` trials are COMPLETE but at least that many finished trials reached
      some report step, the GP is fitted on the values at the largest such step (a COMPLETE
      trial that did not report there keeps its final value; trials stopped before it are
      left out). Without stopped trials this changes nothing. See
      :mod:`tuningfork.samplers._fidelity`.
    * **Parallel trials**: RUNNING and WAITING trials with a full configuration (their params,
      or the proposal they published) enter as *Kriging believer* observations: the posterior
      mean is appended at those points as if observed, so the next proposal looks elsewhere.
    * **Conditional spaces**: one GP over the joint space; inactive parameters are imputed
      with a constant (see :mod:`tuningfork.samplers.gp._encoding`). Parameters suggested
      define-by-run outside the joint proposal are drawn uniformly (:meth:`propose_one`).
    * **Finite spaces**: a configuration already held by some trial is not proposed again, and
      :meth:`remaining` counts the untried ones.
    * **State**: the last fitted hyperparameters are kept on the instance (per space shape) and
      used as one start of the next fit. A fresh sampler with the same seed and the same
      sequence of trials gives identical proposals; resuming a study with a new sampler
      instance, or sharing one instance between workers, can change the warm start and
      therefore the proposals slightly.

    ``n_candidates`` quasi-random points are scored before gradient refinement;
    ``n_restarts`` random starts (from the prior) are added to the prior mode when fitting
    hyperparameters without a warm start. With ``limit_blas_threads`` (default), BLAS runs
    on one thread while the GP works (process-wide, needs ``threadpoolctl``, see
    :mod:`tuningfork.samplers.gp._threads`): its small matrices gain nothing from threads,
    and lose much when cores are contended.
    """

    def __init__(
        self,
        n_startup_trials: int | None = None,
        *,
        n_candidates: int = 2048,
        n_restarts: int = 1,
        warm_start: bool = True,
        limit_blas_threads: bool = True,
        multi_fidelity: bool = True,
    ) -> None:
        for what, value, minimum in (
            ("n_startup_trials", n_startup_trials, 0),
            ("n_candidates", n_candidates, 1),
            ("n_restarts", n_restarts, 0),
        ):
            if value is None and what == "n_startup_trials":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(
                    f"GPSampler: {what}={value!r} is not valid; expected an int >= {minimum}"
                )
        self.n_startup_trials = n_startup_trials
        self.n_candidates = n_candidates
        self.n_restarts = n_restarts
        self.warm_start = warm_start
        self.limit_blas_threads = limit_blas_threads
        self.multi_fidelity = bool(multi_fidelity)
        self._lock = threading.Lock()
        self._theta_cache: dict[Hashable, Array] = {}

    def describe(self) -> dict[str, Any]:
        return {
            "name": "GPSampler",
            "n_startup_trials": self.n_startup_trials,
            "n_candidates": self.n_candidates,
            "n_restarts": self.n_restarts,
            "warm_start": self.warm_start,
            "limit_blas_threads": self.limit_blas_threads,
            "multi_fidelity": self.multi_fidelity,
        }

    def remaining(self, space: SearchSpace, history: History) -> int | None:
        if not _is_finite(space):
            return None
        size = space.n_points
        assert size is not None
        return max(size - len(used_keys(space, history)), 0)

    def propose(
        self, space: SearchSpace, history: History, rng: np.random.Generator
    ) -> dict[str, Any]:
        _check_single_objective(history)
        enc = Encoding(space)
        if enc.n_free == 0:
            return enc.to_params(enc.canonicalize(np.full((1, enc.dim), 0.5))[0])
        finite = _is_finite(space)
        held = _held_unit_rows(space, history)
        exclude = {enc.key(row) for row in enc.from_unit(held)} if finite and len(held) else None
        x_unit, y_all = history.matrix(space)
        n_startup = (
            self.n_startup_trials
            if self.n_startup_trials is not None
            else default_startup_trials(enc.n_free)
        )
        if self.multi_fidelity and len(y_all) < n_startup:
            view = fidelity_view(history.trials, len(y_all), max(n_startup, 1))
            if view is not None:
                x_unit, y_all = _fidelity_matrix(space, history, view)
        if len(y_all) == 0 or len(y_all) < n_startup:
            return self._startup(space, enc, held, exclude, history, rng)

        context = single_threaded_blas() if self.limit_blas_threads else contextlib.nullcontext()
        with context:
            return self._propose_with_gp(space, enc, history, x_unit, y_all, exclude, rng)

    def _propose_with_gp(
        self,
        space: SearchSpace,
        enc: Encoding,
        history: History,
        x_unit: Array,
        y_all: Array,
        exclude: set[tuple[float, ...]] | None,
        rng: np.random.Generator,
    ) -> dict[str, Any]:
        x = enc.from_unit(x_unit)
        y = y_all[:, 0] if history.directions[0] is Direction.MAXIMIZE else -y_all[:, 0]
        ys, _, _ = standardize(y)
        theta = self._fit(enc, x, ys, rng)
        gp = GaussianProcess(x, ys, theta, enc.is_cat)
        best = float(np.max(ys))
        pending = _pending_unit_rows(space, history)
        if len(pending):
            p = enc.from_unit(pending)
            believed, _ = gp.predict(p)
            gp = gp.condition(p, believed)
            best = max(best, float(np.max(believed)))
        incumbents = x[np.argsort(-ys, kind="stable")[:_N_INCUMBENTS]]
        result = optimize_acquisition(
            lambda rows: log_ei(gp, rows, best),
            lambda row: log_ei_with_grad(gp, row, best),
            enc,
            enc.dim,
            rng,
            incumbents=incumbents,
            n_candidates=self.n_candidates,
            exclude=exclude,
        )
        if result is None:
            return RandomSampler().propose(space, history, rng)
        return enc.to_params(result[0])

    # -- internals ---------------------------------------------------------------------------
    def _fit(self, enc: Encoding, x: Array, ys: Array, rng: np.random.Generator) -> Array:
        key = enc.signature
        starts: list[Array] = []
        if self.warm_start:
            with self._lock:
                previous = self._theta_cache.get(key)
            if previous is not None:
                starts.append(previous)
        # Random restarts only on a cold start: afterwards the previous optimum (which moves
        # little when one trial is added) and the prior mode are enough, and twice as fast.
        theta = fit_hyperparameters(
            x, ys, enc.is_cat, rng, starts=starts, n_random_starts=0 if starts else self.n_restarts
        )
        if self.warm_start:
            with self._lock:
                self._theta_cache[key] = theta
        return theta

    def _startup(
        self,
        space: SearchSpace,
        enc: Encoding,
        held: Array,
        exclude: set[tuple[float, ...]] | None,
        history: History,
        rng: np.random.Generator,
    ) -> dict[str, Any]:
        cands = rng.random((_N_STARTUP_CANDIDATES, enc.dim))
        model = enc.from_unit(cands)
        if exclude:
            keep = np.array([enc.key(row) not in exclude for row in model], dtype=bool)
            cands, model = cands[keep], model[keep]
            if len(cands) == 0:
                return RandomSampler().propose(space, history, rng)
        if len(held) == 0:
            return space.from_unit_row(cands[0])
        # Maximin: the candidate farthest from its nearest held point (unit cube; categorical
        # dims count 1 when they differ; inactive dims count 0).
        others = enc.from_unit(held)
        diff = np.abs(model[:, None, :] - others[None, :, :])
        diff[:, :, enc.is_cat] = (diff[:, :, enc.is_cat] > 0).astype(np.float64)
        nearest = np.min(np.sum(diff * diff, axis=2), axis=1)
        return space.from_unit_row(cands[int(np.argmax(nearest))])


def _check_single_objective(history: History) -> None:
    n = len(history.directions)
    if n != 1:
        names = ", ".join(d.name.lower() for d in history.directions)
        raise ValueError(
            f"GPSampler supports one objective, but this study has {n} ({names}); "
            "use a single-objective study, or a sampler that handles several objectives "
            "(e.g. RandomSampler)"
        )


def _fidelity_matrix(
    space: SearchSpace, history: History, view: FidelityView
) -> tuple[Array, Array]:
    """Unit rows and values of the trials observed at the view's step, and of COMPLETE trials
    that did not report there (with their final value)."""
    rows, ys = [], []
    for record in history.trials:
        value = view.values.get(record.number)
        if value is None and record.state is TrialState.COMPLETE and record.values is not None:
            value = record.values[0]
        if value is None:
            continue
        row = space.to_unit_row(record.params)
        if row is None:
            continue
        rows.append(row)
        ys.append([value])
    x = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(space))
    return x, np.asarray(ys, dtype=np.float64).reshape(len(ys), 1)


def _is_finite(space: SearchSpace) -> bool:
    return all(space[name].n_points is not None for name in space)


def _full_params(record_params: Mapping[str, Any], attrs: Mapping[str, Any]) -> Mapping[str, Any]:
    proposal = attrs.get(PROPOSAL_ATTR)
    if isinstance(proposal, Mapping):
        return {**proposal, **record_params}
    return record_params


def _rows(space: SearchSpace, params_list: list[Mapping[str, Any]]) -> Array:
    rows = [space.to_unit_row(p) for p in params_list]
    kept = [r for r in rows if r is not None]
    return np.asarray(kept, dtype=np.float64).reshape(len(kept), len(space))


def _pending_unit_rows(space: SearchSpace, history: History) -> Array:
    """Unit rows of RUNNING and WAITING trials whose configuration is complete."""
    return _rows(
        space,
        [
            _full_params(t.params, t.system_attrs)
            for t in history.with_state(TrialState.RUNNING, TrialState.WAITING)
        ],
    )


def _held_unit_rows(space: SearchSpace, history: History) -> Array:
    """Unit rows of every trial with a complete configuration, whatever its state."""
    return _rows(
        space,
        [
            _full_params(t.params, t.system_attrs) if not t.state.is_finished() else t.params
            for t in history.trials
        ],
    )
