"""TuningSearchCV: scikit-learn's search API over a tuningfork study.

The estimator follows ``RandomizedSearchCV`` (same fitted attributes, same ``cv_results_``
keys, same ``refit``/``error_score`` semantics) while the search loop is tuningfork's: a study
asks for candidates (any sampler), runs them on worker threads, stores every trial and can be
continued from its storage. With ``resource=...`` the candidates go through successive halving
with the schedule of scikit-learn's ``HalvingRandomSearchCV``.

Only public scikit-learn helpers are used (``check_cv``, ``check_scoring``, ``get_scorer``,
``clone``, ``cross_validate``, ``available_if``), so that the supported range (1.1 and later)
does not hang on private names.
"""

from __future__ import annotations

import inspect
import itertools
import json
import math
import numbers
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.metrics import check_scoring, get_scorer
from sklearn.model_selection import check_cv, cross_validate
from sklearn.utils import check_random_state, resample
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, indexable

from tuningfork._core.errors import SearchSpaceExhausted
from tuningfork._core.history import History
from tuningfork._core.records import TrialRecord, TrialState
from tuningfork.integrations.sklearn._params import (
    Param,
    grid_points,
    to_params,
    to_space,
)
from tuningfork.integrations.sklearn._schedule import HalvingSchedule, halving_schedule
from tuningfork.samplers import GridSampler, RandomSampler, Sampler, TPESampler
from tuningfork.samplers._finite import FIXED_ATTR
from tuningfork.space import SearchSpace, encode_value
from tuningfork.study import Study, Trial, create_study

try:  # scikit-learn >= 1.6 describes estimators with tags objects
    from sklearn.utils import get_tags as _get_tags
except ImportError:  # pragma: no cover - older scikit-learn
    _get_tags = None

_CV_ATTR = "sklearn_cv"  # per-trial (or per-rung) results kept in the trial's user attrs
_GRID_ATTR = "sklearn_grid"  # which dict of a list-of-dicts param_grid a queued trial is from
_CROSS_VALIDATE_TAKES_PARAMS = "params" in inspect.signature(cross_validate).parameters


_F = TypeVar("_F", bound=Callable[..., Any])


def _delegate(attr: str) -> Callable[[_F], _F]:
    """``available_if`` (scikit-learn >= 1.0), typed: the method exists only when the best (or,
    before fit, the given) estimator has ``attr``."""
    return cast(Callable[[_F], _F], available_if(_search_estimator_has(attr)))


def _search_estimator_has(attr: str) -> Callable[[Any], bool]:
    """Delegate ``attr`` only when the best (else the given) estimator has it (and refit)."""

    def check(self: Any) -> bool:
        if self.refit is False:
            raise AttributeError(
                f"This {type(self).__name__} instance was initialized with refit=False. {attr} "
                "is available only after refitting on the best parameters."
            )
        if hasattr(self, "best_estimator_"):
            getattr(self.best_estimator_, attr)
        else:
            getattr(self.estimator, attr)
        return True

    return check


class TuningSearchCV(MetaEstimatorMixin, BaseEstimator):  # type: ignore[misc]
    """Search hyperparameters with a tuningfork study, as a scikit-learn estimator.

    Parameters
    ----------
    estimator : the estimator (or pipeline) to tune.
    param_distributions : dict of name -> tuningfork distribution (``Float``, ``Int``,
        ``Categorical``), frozen ``scipy.stats`` distribution, or list of values (see
        :mod:`tuningfork.integrations.sklearn._params`). Nested names (``clf__C``) work.
    n_trials : how many candidates to evaluate in this ``fit`` (with ``resource``: in the first
        iteration; ``"exhaust"`` as in ``HalvingRandomSearchCV``). ``None`` with a grid: all.
    cv, scoring, refit, error_score, return_train_score : as in ``RandomizedSearchCV``.
    sampler : a tuningfork sampler (default: ``TPESampler()``; with ``resource``:
        ``RandomSampler()``, since all first-iteration candidates are proposed at once).
    resource : ``None`` (no halving), ``"n_samples"`` or the name of an integer parameter of
        the estimator (``"n_estimators"``, ``"max_iter"``) for successive halving.
    min_resources, max_resources, factor, aggressive_elimination : the halving schedule, as in
        ``HalvingRandomSearchCV``.
    n_jobs : how many candidates run at once (tuningfork worker threads; -1: one per CPU).
    random_state : the study seed (an int, a ``RandomState``, or ``None`` for a drawn one);
        also seeds the halving subsamples.
    storage, study_name : where the study lives; fitting again with the same ``storage`` and
        ``study_name`` continues the stored study, and ``cv_results_`` covers all its trials.
    param_grid : a dict of lists (or a list of such dicts) for an exhaustive search; see
        :meth:`from_grid`.
    """

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, Any] | None = None,
        *,
        n_trials: int | str | None = 10,
        cv: Any = None,
        scoring: Any = None,
        sampler: Sampler | None = None,
        resource: str | None = None,
        min_resources: int | str = "exhaust",
        max_resources: int | str = "auto",
        factor: int = 3,
        aggressive_elimination: bool = False,
        refit: bool | str | Callable[..., int] = True,
        n_jobs: int | None = None,
        random_state: Any = None,
        error_score: float | str = np.nan,
        return_train_score: bool = False,
        storage: Any = None,
        study_name: str | None = None,
        param_grid: Any = None,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.cv = cv
        self.scoring = scoring
        self.sampler = sampler
        self.resource = resource
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.factor = factor
        self.aggressive_elimination = aggressive_elimination
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.storage = storage
        self.study_name = study_name
        self.param_grid = param_grid
        self.verbose = verbose

    @classmethod
    def from_grid(cls, estimator: Any, param_grid: Any, **kwargs: Any) -> TuningSearchCV:
        """An exhaustive search over ``param_grid`` (every point once, like ``GridSearchCV``)."""
        kwargs.setdefault("n_trials", None)
        return cls(estimator, param_grid=param_grid, **kwargs)

    # -- tags (how scikit-learn sees this estimator) ------------------------------------------
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        sub = _get_tags(self.estimator)
        tags.estimator_type = sub.estimator_type
        tags.classifier_tags = sub.classifier_tags
        tags.regressor_tags = sub.regressor_tags
        tags.input_tags.pairwise = sub.input_tags.pairwise
        tags.input_tags.sparse = sub.input_tags.sparse
        return tags

    def __getstate__(self) -> dict[str, Any]:
        # A live Study holds locks and a storage connection; a pickled search keeps its results
        # and refers to the stored study by name (``study_name_``).
        state: dict[str, Any] = dict(super().__getstate__())
        state.pop("study_", None)
        return state

    # -- fit ---------------------------------------------------------------------------------
    def fit(
        self, X: Any, y: Any = None, *, groups: Any = None, **fit_params: Any
    ) -> TuningSearchCV:
        """Run the search on ``X, y`` and (with ``refit``) fit the best estimator on all of it."""
        estimator = self.estimator
        self._check_error_score()
        X, y, groups = indexable(X, y, groups)
        cv = check_cv(self.cv, y, classifier=is_classifier(estimator))
        splits = list(cv.split(X, y, groups))
        self.n_splits_ = len(splits)
        scoring, names = self._scorers(estimator)
        refit_metric = self._refit_metric(names)
        subspaces = self._subspaces()
        seed = self._seed()
        study = create_study(
            name=self.study_name,
            storage=self.storage,
            direction="maximize",
            sampler=self._sampler(subspaces),
            seed=seed,
            load_if_exists=True,
            space=to_space(subspaces[0]) if len(subspaces) == 1 else None,
        )
        _check_same_protocol(study, cv, self.scoring, self.resource)
        self.study_ = study
        self.study_name_ = study.name
        self._diagnosis: tuple[Any, Any, Any, Any] | None = (X, y, splits, scoring)
        runner = _Runner(
            self, estimator, X, y, splits, scoring, names, refit_metric, subspaces, fit_params
        )
        rows = runner.search(study) if self.resource is None else runner.halving(study, seed)
        results = _cv_results(rows, names, self.n_splits_, self.return_train_score)
        try:
            self._finish(results, names, refit_metric, study, X, y, fit_params)
        finally:
            del self._diagnosis
        return self

    def _finish(
        self,
        results: dict[str, Any],
        names: list[str],
        refit_metric: str,
        study: Study,
        X: Any,
        y: Any,
        fit_params: dict[str, Any],
    ) -> None:
        estimator = self.estimator
        self.cv_results_ = results
        self.multimetric_ = len(names) > 1 or names != ["score"]

        if self.refit is not False or not self.multimetric_:
            self.best_index_ = self._best_index(results, refit_metric, study)
            if not callable(self.refit):
                self.best_score_ = float(results[f"mean_test_{refit_metric}"][self.best_index_])
            self.best_params_ = results["params"][self.best_index_]
        if self.refit is not False:
            best = clone(estimator).set_params(**clone(self.best_params_, safe=False))
            start = time.perf_counter()
            if y is not None:
                best.fit(X, y, **fit_params)
            else:
                best.fit(X, **fit_params)
            self.refit_time_ = time.perf_counter() - start
            self.best_estimator_ = best
            if hasattr(best, "feature_names_in_"):
                self.feature_names_in_ = best.feature_names_in_

    # -- fit helpers -------------------------------------------------------------------------
    def _check_error_score(self) -> None:
        if isinstance(self.error_score, str):
            if self.error_score != "raise":
                raise ValueError(
                    f"error_score must be 'raise' or a number, got {self.error_score!r}"
                )
        elif isinstance(self.error_score, bool) or not isinstance(self.error_score, numbers.Real):
            raise ValueError(f"error_score must be 'raise' or a number, got {self.error_score!r}")

    def _scorers(self, estimator: Any) -> tuple[Any, list[str]]:
        scoring = self.scoring
        if scoring is None or isinstance(scoring, str) or callable(scoring):
            self.scorer_ = check_scoring(estimator, scoring=scoring)
            return self.scorer_, ["score"]
        if isinstance(scoring, (list, tuple, set)):
            items = {name: name for name in scoring}
            if len(items) != len(scoring) or not items:
                raise ValueError(f"scoring must be a non-empty list of distinct names: {scoring!r}")
        elif isinstance(scoring, Mapping):
            items = dict(scoring)
        else:
            raise ValueError(
                "scoring must be None, a string, a callable, a list of names or a dict of "
                f"name -> scorer, got {scoring!r}"
            )
        if not items:
            raise ValueError("scoring is an empty dict; give at least one metric")
        scorers = {
            str(name): get_scorer(s) if isinstance(s, str) else s for name, s in items.items()
        }
        self.scorer_ = scorers
        return scorers, list(scorers)

    def _refit_metric(self, names: list[str]) -> str:
        if names == ["score"]:
            return "score"
        if isinstance(self.refit, str):
            if self.refit not in names:
                raise ValueError(
                    f"refit={self.refit!r} is not one of the metrics {names}; for multi-metric "
                    "scoring, refit must be a metric name, a callable or False"
                )
            return self.refit
        if self.refit is True:
            raise ValueError(
                "For multi-metric scoring, refit must be set to a scorer key (one of "
                f"{names}), a callable or False, got True"
            )
        # refit=False or a callable: the study optimizes the first metric
        return names[0]

    def _subspaces(self) -> list[list[Param]]:
        if (self.param_distributions is None) == (self.param_grid is None):
            raise ValueError(
                "give exactly one of param_distributions (a dict of distributions or lists) and "
                "param_grid (a dict of lists, or a list of such dicts)"
            )
        if self.param_grid is not None:
            if self.sampler is not None:
                raise ValueError("param_grid walks its grid; sampler must be None with it")
            return grid_points(self.param_grid)
        if not isinstance(self.param_distributions, Mapping):
            raise ValueError(
                "param_distributions must be a dict of name -> distribution or list of values, "
                f"got {type(self.param_distributions).__name__}; for a list of grids use "
                "param_grid"
            )
        return [to_params(self.param_distributions)]

    def _sampler(self, subspaces: list[list[Param]]) -> Sampler:
        if self.param_grid is not None:
            if len(subspaces) == 1:
                return GridSampler({p.name: p.distribution for p in subspaces[0]})
            return _QueuedOnly()  # a list of grids is queued point by point
        if self.sampler is not None:
            if not isinstance(self.sampler, Sampler):
                raise TypeError(f"sampler must be a tuningfork Sampler, got {self.sampler!r}")
            return self.sampler
        return RandomSampler() if self.resource is not None else TPESampler()

    def _seed(self) -> int | None:
        if self.random_state is None:
            return None
        if isinstance(self.random_state, numbers.Integral) and not isinstance(
            self.random_state, bool
        ):
            return int(self.random_state) % 2**32
        return int(check_random_state(self.random_state).randint(2**32, dtype=np.int64))

    def _best_index(self, results: dict[str, Any], metric: str, study: Study) -> int:
        means = np.asarray(results[f"mean_test_{metric}"], dtype=float)
        candidates = np.arange(len(means))
        if "iter" in results:  # halving: the best of the last iteration
            candidates = np.flatnonzero(results["iter"] == np.max(results["iter"]))
        finite = candidates[np.isfinite(means[candidates])]
        if callable(self.refit):
            index = self.refit(results)
            if (
                isinstance(index, bool)
                or not isinstance(index, numbers.Integral)
                or not 0 <= index < len(means)
            ):
                raise IndexError("best_index_ returned by the refit callable is out of bounds")
            return int(index)
        if len(finite) == 0:
            message = _all_failed_message(study, len(means), self.n_splits_)
            raise ValueError(message + self._diagnose(results))
        return int(finite[np.argmax(means[finite])])  # first of the ties, like argmin(rank)

    def _diagnose(self, results: dict[str, Any]) -> str:
        """Fit the first candidate on the first split again, to show why it fails (the
        scores of failed fits carry no message)."""
        if not results["params"] or self._diagnosis is None:
            return ""
        X, y, splits, scoring = self._diagnosis
        try:
            estimator = clone(self.estimator).set_params(**results["params"][0])
            cross_validate(estimator, X, y, cv=splits, scoring=scoring, error_score="raise")
        except Exception as exc:
            return (
                "\nThe first candidate, evaluated again with error_score='raise', raises "
                f"{type(exc).__name__}: {exc}"
            )
        return ""

    # -- delegation ----------------------------------------------------------------------------
    def score(self, X: Any, y: Any = None, **params: Any) -> float:
        """The refit metric's score of the best estimator on ``X, y``."""
        _check_refit(self, "score")
        check_is_fitted(self)
        scorer = self.scorer_[self.refit] if self.multimetric_ else self.scorer_
        return float(scorer(self.best_estimator_, X, y, **params))

    @_delegate("predict")
    def predict(self, X: Any) -> Any:
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @_delegate("predict_proba")
    def predict_proba(self, X: Any) -> Any:
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @_delegate("predict_log_proba")
    def predict_log_proba(self, X: Any) -> Any:
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)

    @_delegate("decision_function")
    def decision_function(self, X: Any) -> Any:
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @_delegate("score_samples")
    def score_samples(self, X: Any) -> Any:
        check_is_fitted(self)
        return self.best_estimator_.score_samples(X)

    @_delegate("transform")
    def transform(self, X: Any) -> Any:
        check_is_fitted(self)
        return self.best_estimator_.transform(X)

    @_delegate("inverse_transform")
    def inverse_transform(self, X: Any) -> Any:
        check_is_fitted(self)
        return self.best_estimator_.inverse_transform(X)

    @property
    def n_features_in_(self) -> int:
        try:
            check_is_fitted(self)
        except NotFittedError as exc:
            raise AttributeError(
                f"{type(self).__name__} object has no n_features_in_ attribute."
            ) from exc
        return int(self.best_estimator_.n_features_in_)

    @property
    def classes_(self) -> Any:
        _search_estimator_has("classes_")(self)
        return self.best_estimator_.classes_

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "cv_results_")


def _check_refit(search: TuningSearchCV, attr: str) -> None:
    if search.refit is False:
        raise AttributeError(
            f"This {type(search).__name__} instance was initialized with refit=False. {attr} is "
            "available only after refitting on the best parameters."
        )


if _get_tags is None:  # pragma: no cover - scikit-learn < 1.6 reads these instead of tags
    del TuningSearchCV.__sklearn_tags__

    def _estimator_type(self: TuningSearchCV) -> Any:
        return getattr(self.estimator, "_estimator_type", None)

    def _more_tags(self: TuningSearchCV) -> dict[str, Any]:
        get = getattr(self.estimator, "_get_tags", None)
        pairwise = bool(get().get("pairwise", False)) if get is not None else False
        return {"pairwise": pairwise}

    TuningSearchCV._estimator_type = property(_estimator_type)
    TuningSearchCV._more_tags = _more_tags


class _QueuedOnly(Sampler):
    """The sampler of a list of grids: every point is queued (``enqueue``), so nothing is left
    to propose. (A RandomSampler would see the points tried so far as the whole space and
    report it exhausted while queued points still wait.)"""

    def propose(
        self, space: SearchSpace, history: History, rng: np.random.Generator
    ) -> dict[str, Any]:
        return {}

    def describe(self) -> dict[str, Any]:
        return {"name": "QueuedGrid"}


class _Runner:
    """One fit's search: evaluates candidates with ``cross_validate`` inside study trials."""

    def __init__(
        self,
        search: TuningSearchCV,
        estimator: Any,
        X: Any,
        y: Any,
        splits: list[tuple[np.ndarray, np.ndarray]],
        scoring: Any,
        names: list[str],
        refit_metric: str,
        subspaces: list[list[Param]],
        fit_params: dict[str, Any],
    ) -> None:
        self.cfg = search
        self.estimator = estimator
        self.X, self.y = X, y
        self.splits = splits
        self.scoring = scoring
        self.names = names
        self.refit_metric = refit_metric
        self.subspaces = subspaces
        self.fit_params = fit_params
        self.n_workers = _n_workers(search.n_jobs)

    # -- one evaluation ----------------------------------------------------------------------
    def params_of(self, trial: Trial | TrialRecord) -> dict[str, Any]:
        index = int(trial.user_attrs.get(_GRID_ATTR, 0))
        if isinstance(trial, Trial):
            return {
                p.name: p.decode(trial.suggest(p.name, p.distribution))
                for p in self.subspaces[index]
            }
        return {
            p.name: p.decode(trial.params[p.name])
            for p in self.subspaces[index]
            if p.name in trial.params
        }

    def evaluate(self, params: Mapping[str, Any], splits: Any) -> dict[str, list[float | None]]:
        estimator = clone(self.estimator).set_params(**clone(dict(params), safe=False))
        kwargs: dict[str, Any] = {}
        if self.fit_params:
            kwargs["params" if _CROSS_VALIDATE_TAKES_PARAMS else "fit_params"] = self.fit_params
        try:
            out = cross_validate(
                estimator,
                self.X,
                self.y,
                cv=splits,
                scoring=self.scoring,
                return_train_score=self.cfg.return_train_score,
                error_score=self.cfg.error_score,
                **kwargs,
            )
        except Exception as exc:
            # cross_validate raises when every fit of the candidate failed; a search scores
            # such a candidate error_score on every split, like scikit-learn's searches.
            if self.cfg.error_score == "raise":
                raise
            out = self._failed(splits, exc)
        single = self.names == ["score"]
        result: dict[str, list[float | None]] = {
            "fit_time": [float(v) for v in out["fit_time"]],
            "score_time": [float(v) for v in out["score_time"]],
        }
        for name in self.names:
            sets = ("test", "train") if self.cfg.return_train_score else ("test",)
            for which in sets:
                key = f"{which}_score" if single else f"{which}_{name}"
                result[f"{which}_{name}"] = [float(v) for v in out[key]]
        return result

    def _failed(self, splits: Any, exc: Exception) -> dict[str, Any]:
        n = len(splits) if isinstance(splits, list) else len(self.splits)
        warnings.warn(
            FitFailedWarning(
                f"All the {n} fits failed for one candidate; its score on each split is "
                f"error_score={self.cfg.error_score!r}. The error:\n{exc}"
            ),
            stacklevel=2,
        )
        score = float(self.cfg.error_score)
        out: dict[str, Any] = {"fit_time": [0.0] * n, "score_time": [0.0] * n}
        single = self.names == ["score"]
        for name in self.names:
            for which in ("test", "train"):
                out[f"{which}_score" if single else f"{which}_{name}"] = [score] * n
        return out

    def mean(self, result: Mapping[str, Sequence[float | None]]) -> float:
        values = [np.nan if v is None else v for v in result[f"test_{self.refit_metric}"]]
        return float(np.mean(values))

    @property
    def catch(self) -> tuple[type[BaseException], ...]:
        return () if self.cfg.error_score == "raise" else (Exception,)

    # -- plain search --------------------------------------------------------------------------
    def search(self, study: Study) -> list[dict[str, Any]]:
        n_trials = self.cfg.n_trials
        if n_trials is not None and (
            isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0
        ):
            raise ValueError(f"n_trials must be an int >= 0 (or None for a grid), got {n_trials!r}")
        if n_trials is None and self.cfg.param_grid is None:
            raise ValueError("n_trials=None means 'the whole grid'; give param_grid, or an int")
        if len(self.subspaces) > 1:  # a list of grids: queue each point once
            # A point is known by its grid as well as its values: two grids may hold the same
            # stored values (an estimator choice is stored as its index in its own grid).
            queued = {_grid_point_key(t) for t in study.trials}
            for index, grid in enumerate(self.subspaces):
                names = [p.name for p in grid]
                for values in itertools.product(*(p.distribution.points() for p in grid)):
                    point = dict(zip(names, values, strict=True))
                    key = (index, json.dumps(encode_value(point), sort_keys=True))
                    if key in queued:  # a continued study queues only what is new
                        continue
                    queued.add(key)
                    study.enqueue(point, user_attrs={_GRID_ATTR: index})
            waiting = len(study.get_trials([TrialState.WAITING]))
            n_trials = waiting if n_trials is None else min(n_trials, waiting)

        def objective(trial: Trial) -> float:
            params = self.params_of(trial)
            result = self.evaluate(params, self.splits)
            trial.set_user_attr(_CV_ATTR, result)
            return self.mean(result)

        study.optimize(
            objective,
            n_trials=n_trials,
            n_workers=self.n_workers,
            catch=self.catch,
            stop_if_first_failed=None,
        )
        rows = []
        for record in study.trials:
            result = record.user_attrs.get(_CV_ATTR)
            if result is not None:
                rows.append({"params": self.params_of(record), "result": result})
        if not rows:
            raise ValueError(_all_failed_message(study, 0, len(self.splits)))
        return rows

    # -- successive halving --------------------------------------------------------------------
    def schedule(self, n_params: int) -> HalvingSchedule:
        search = self.cfg
        if search.resource == "n_samples":
            smallest = 2 * len(self.splits)
            if is_classifier(self.estimator) and self.y is not None:
                smallest *= len(np.unique(self.y))
            if search.max_resources == "auto":
                max_resources = _num_samples(self.X)
            else:
                max_resources = search.max_resources  # type: ignore[assignment]
        else:
            assert search.resource is not None
            if search.resource not in self.estimator.get_params():
                raise ValueError(
                    f"resource={search.resource!r} is neither 'n_samples' nor a parameter of "
                    f"{type(self.estimator).__name__}"
                )
            if any(search.resource == p.name for sub in self.subspaces for p in sub):
                raise ValueError(
                    f"resource={search.resource!r} is also a searched parameter; remove it from "
                    "param_distributions"
                )
            if search.max_resources == "auto":
                raise ValueError(
                    f"max_resources must be an int when resource={search.resource!r} "
                    "('auto' means the number of samples)"
                )
            smallest = 1
            max_resources = search.max_resources  # type: ignore[assignment]
        n_trials = search.n_trials
        if n_trials == "exhaust":
            if search.min_resources == "exhaust":
                raise ValueError("n_trials='exhaust' needs min_resources='smallest' or an int")
            low = smallest if search.min_resources == "smallest" else search.min_resources
            n_trials = max(1, int(max_resources) // int(low))
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
            raise ValueError(
                f"with resource, n_trials must be an int >= 1 or 'exhaust', got {n_trials!r}"
            )
        if n_params is not None and n_params < n_trials:
            n_trials = n_params
        return halving_schedule(
            n_trials,
            smallest,
            max_resources,
            search.factor,
            min_resources=search.min_resources,
            aggressive_elimination=search.aggressive_elimination,
        )

    def halving(self, study: Study, seed: int | None) -> list[dict[str, Any]]:
        grid_size = to_space(self.subspaces[0]).n_points if len(self.subspaces) == 1 else None
        if len(self.subspaces) > 1:
            raise ValueError("successive halving takes one dict of parameters, not a list")
        schedule = self.schedule(grid_size)  # type: ignore[arg-type]
        self.cfg.n_resources_ = list(schedule.n_resources)
        self.cfg.min_resources_ = schedule.min_resources
        self.cfg.max_resources_ = schedule.max_resources
        self.cfg.n_required_iterations_ = schedule.n_required_iterations
        self.cfg.n_possible_iterations_ = schedule.n_possible_iterations
        self.cfg.n_iterations_ = schedule.n_iterations
        trials: list[Trial] = []
        for _ in range(schedule.n_candidates[0]):
            try:
                trials.append(study.ask())
            except SearchSpaceExhausted:
                break
        params = {t.number: self.params_of(t) for t in trials}
        alive = list(trials)
        rows: list[dict[str, Any]] = []
        n_candidates: list[int] = []
        resource = self.cfg.resource
        rng = np.random.default_rng([seed if seed is not None else study.seed, 7])
        try:
            for itr, n_resources in enumerate(schedule.n_resources):
                n_candidates.append(len(alive))
                if resource == "n_samples":
                    splits = self._subsample(n_resources, schedule.max_resources, rng)
                else:
                    splits = self.splits

                def run(
                    trial: Trial, splits: Any = splits, itr: int = itr, r: int = n_resources
                ) -> tuple[Trial, dict[str, Any], float]:
                    p = dict(params[trial.number])
                    if resource != "n_samples":
                        p[resource] = r  # type: ignore[index]
                    result = self.evaluate(p, splits)
                    trial.set_user_attr(f"{_CV_ATTR}_{itr}", result)
                    score = self.mean(result)
                    trial.report(itr, score)
                    return trial, p, score

                with ThreadPoolExecutor(max_workers=self.n_workers) as pool:
                    outcomes = list(pool.map(run, alive))
                for trial, p, _ in outcomes:
                    rows.append(
                        {
                            "params": p,
                            "result": trial.user_attrs[f"{_CV_ATTR}_{itr}"],
                            "iter": itr,
                            "n_resources": n_resources,
                        }
                    )
                last = itr == schedule.n_iterations - 1
                if last:
                    for trial, _, score in outcomes:
                        study.tell(trial, score)
                    break
                keep = _top_k([(t, s) for t, _, s in outcomes], schedule.factor)
                for trial, _, _ in outcomes:
                    if trial.number not in keep:
                        study.tell(trial, state=TrialState.PRUNED)
                alive = [t for t, _, _ in outcomes if t.number in keep]
                if not alive:
                    break
        except BaseException as exc:
            for trial in alive:
                if trial.number in {r.number for r in study.get_trials([TrialState.RUNNING])}:
                    study.tell(trial, state=TrialState.FAILED, error=f"{type(exc).__name__}: {exc}")
            raise
        self.cfg.n_candidates_ = n_candidates
        return rows

    def _subsample(
        self, n_resources: int, max_resources: int, rng: np.random.Generator
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        # Like scikit-learn's halving searches: each split's train and test sets keep the same
        # fraction of their samples (stratified for classifiers), drawn anew per iteration.
        fraction = n_resources / max_resources
        if fraction >= 1:
            return self.splits
        stratify = is_classifier(self.estimator) and self.y is not None
        out = []
        for train, test in self.splits:
            parts = []
            for idx in (train, test):
                n = max(1, int(fraction * len(idx)))
                state = int(rng.integers(2**31 - 1))
                labels = np.asarray(self.y)[idx] if stratify else None
                try:
                    parts.append(
                        resample(
                            idx, replace=False, n_samples=n, random_state=state, stratify=labels
                        )
                    )
                except ValueError:  # too few samples to stratify
                    parts.append(resample(idx, replace=False, n_samples=n, random_state=state))
            out.append((np.sort(parts[0]), np.sort(parts[1])))
        return out


def _n_workers(n_jobs: Any) -> int:
    """scikit-learn's ``n_jobs`` as a number of threads: None -> 1, -1 -> one per CPU,
    -2 -> all CPUs but one, ..."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be None or a non-zero int, got {n_jobs!r}")
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))
    return int(n_jobs)


def _num_samples(X: Any) -> int:
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


def _top_k(scored: list[tuple[Trial, float]], factor: int) -> set[int]:
    """Numbers of the trials that go on: the best ``ceil(n / factor)`` (the rule of
    :class:`tuningfork.schedulers.SuccessiveHalving`, ties broken by trial number); a NaN score
    never goes on."""
    n_keep = -(-len(scored) // factor)
    finite = [(t, s) for t, s in scored if math.isfinite(s)]
    finite.sort(key=lambda ts: (-ts[1], ts[0].number))
    return {t.number for t, _ in finite[:n_keep]}


def _all_failed_message(study: Study, n_candidates: int, n_splits: int) -> str:
    failed = study.get_trials([TrialState.FAILED])
    first = min(failed, key=lambda t: t.number) if failed else None
    detail = ""
    if first is not None:
        detail = (
            f"\nThe first failure (trial {first.number}):\n{first.system_attrs.get('error', '')}"
        )
    return (
        f"every candidate failed: none of the {n_candidates or len(failed)} candidates "
        f"({n_splits} folds each) has a finite mean test score, so there is no best "
        "candidate. Check the parameters and the data; error_score='raise' shows the first "
        f"error as it happens.{detail}"
    )


def _rank(means: np.ndarray) -> np.ndarray:
    """Rank 1 is best; NaN ranks after every number (as in scikit-learn)."""
    from scipy.stats import rankdata

    if np.isnan(means).all():
        return np.ones(len(means), dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    return np.asarray(rankdata(-filled, method="min"), dtype=np.int32)


def _cv_results(
    rows: list[dict[str, Any]], names: list[str], n_splits: int, train: bool
) -> dict[str, Any]:
    n = len(rows)
    results: dict[str, Any] = {}

    def stats(key: str, values: list[list[float | None]]) -> tuple[np.ndarray, np.ndarray]:
        array = np.array(
            [[np.nan if v is None else v for v in row] for row in values], dtype=float
        ).reshape(n, -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return array.mean(axis=1), array.std(axis=1)

    for key in ("fit_time", "score_time"):
        mean, std = stats(key, [r["result"][key] for r in rows])
        results[f"mean_{key}"], results[f"std_{key}"] = mean, std

    param_names = sorted({name for r in rows for name in r["params"]})
    for name in param_names:
        column = np.ma.MaskedArray(np.empty(n, dtype=object), mask=True)
        for i, r in enumerate(rows):
            if name in r["params"]:
                column[i] = r["params"][name]
        results[f"param_{name}"] = column
    results["params"] = [r["params"] for r in rows]

    for name in names:
        for which in ("test", "train") if train else ("test",):
            matrix = [r["result"][f"{which}_{name}"] for r in rows]
            array = np.array(
                [[np.nan if v is None else v for v in m] for m in matrix], dtype=float
            ).reshape(n, n_splits)
            for i in range(n_splits):
                results[f"split{i}_{which}_{name}"] = array[:, i]
            mean, std = stats(name, matrix)
            results[f"mean_{which}_{name}"], results[f"std_{which}_{name}"] = mean, std
            if which == "test":
                results[f"rank_test_{name}"] = _rank(mean)
    if rows and "iter" in rows[0]:
        results["iter"] = np.array([r["iter"] for r in rows])
        results["n_resources"] = np.array([r["n_resources"] for r in rows])
    return results


def _grid_point_key(trial: TrialRecord) -> tuple[Any, str]:
    held = {**trial.system_attrs.get(FIXED_ATTR, {}), **trial.params}
    return trial.user_attrs.get(_GRID_ATTR), json.dumps(encode_value(held), sort_keys=True)


_PROTOCOL = "sklearn_protocol"


def _check_same_protocol(study: Study, cv: Any, scoring: Any, resource: Any) -> None:
    """A continued study must score candidates the same way, or its scores do not compare."""
    protocol = {
        "cv": type(cv).__name__,
        "n_splits": int(cv.get_n_splits()),
        "scoring": _describe_scoring(scoring),
        "resource": None if resource is None else str(resource),
    }
    stored = study.config.get(_PROTOCOL)
    if stored is None:
        study.storage.set_study_attr(study.name, _PROTOCOL, protocol, user=False)
    elif dict(stored) != protocol:
        raise ValueError(
            f"study {study.name!r} was searched with {dict(stored)}, but this fit uses "
            f"{protocol}; scores of the two do not compare: fit with the stored cv, scoring and "
            "resource, or give a new study_name"
        )


def _describe_scoring(scoring: Any) -> Any:
    """A JSON-able name for a scoring option (a callable by its qualified name)."""
    if scoring is None or isinstance(scoring, str):
        return scoring
    if isinstance(scoring, Mapping):
        return {str(k): _describe_scoring(v) for k, v in sorted(scoring.items())}
    if isinstance(scoring, (list, tuple, set)):
        return sorted((_describe_scoring(s) for s in scoring), key=str)
    return getattr(scoring, "__qualname__", None) or repr(scoring)
