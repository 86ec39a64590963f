"""``cross_val_objective``: an objective that cross-validates a freshly built estimator per trial,
with every preprocessing step fitted inside each fold."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from tuningfork._core._imports import optional_import
from tuningfork._core.errors import TuningforkWarning
from tuningfork.study import FixedTrial

#: the rarest class has fewer than this share of the rows of the most common one
IMBALANCE_RATIO = 0.25

_NAMED_CV = ("auto", "stratified", "kfold", "group", "time")


def _warn(message: str) -> None:
    warnings.warn(message, TuningforkWarning, stacklevel=4)


def row_hashes(X: Any) -> np.ndarray:
    """One digest per row (exact duplicates share one)."""
    a = np.asarray(X)
    a = a.reshape(len(a), -1)
    if a.dtype.kind == "O":
        return np.array([hashlib.sha1(repr(list(r)).encode()).hexdigest() for r in a])
    a = np.ascontiguousarray(a)
    return np.array([hashlib.sha1(r.tobytes()).hexdigest() for r in a])


def looks_preprocessed(X: Any) -> str | None:
    """``"standardized"`` / ``"min-max scaled"`` when every column of ``X`` has exactly the
    statistics a scaler fitted on all of ``X`` would give, else ``None`` (a heuristic)."""
    try:
        a = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return None
    if a.ndim != 2 or len(a) < 10:
        return None
    varying = a[:, a.std(axis=0) > 0]
    if varying.shape[1] == 0:
        return None
    if np.allclose(varying.mean(axis=0), 0, atol=1e-7) and np.allclose(
        varying.std(axis=0), 1, atol=1e-6
    ):
        return "standardized"
    # 0/1 indicator columns also span [0, 1]: only continuous-looking data counts
    continuous = any(len(np.unique(column)) > 2 for column in varying.T)
    if (
        continuous
        and np.allclose(varying.min(axis=0), 0, atol=1e-12)
        and np.allclose(varying.max(axis=0), 1, atol=1e-12)
    ):
        return "min-max scaled"
    return None


# A float target with more distinct values than this is taken as a regression target.
_MAX_FLOAT_CLASSES = 20


class CrossValObjective:
    """The objective returned by :func:`cross_val_objective` (see there). Calling it with a
    trial returns the mean validation score; ``evaluate_on_test`` is what
    ``study.final_evaluation`` uses by default."""

    def __init__(
        self,
        make_estimator: Callable[[Any], Any],
        X: Any,
        y: Any,
        *,
        cv: int | str | Any = 5,
        scoring: str | Callable[..., float] | None = None,
        groups: Any = None,
        return_train_score: bool = False,
        check: bool = True,
    ) -> None:
        optional_import("sklearn", "sklearn")
        if not callable(make_estimator):
            raise TypeError(
                f"make_estimator must be a function trial -> estimator, got {make_estimator!r}"
            )
        if isinstance(cv, str) and cv not in _NAMED_CV:
            raise ValueError(
                f"cv={cv!r} is not understood; expected an int, one of {_NAMED_CV}, a "
                "splitter or a list of (train, validation) index pairs"
            )
        if isinstance(cv, bool) or (isinstance(cv, int) and cv < 2):
            raise ValueError(f"cv must be at least 2 folds, got {cv!r}")
        if cv == "group" and groups is None:
            raise ValueError("cv='group' needs groups=...")
        self.make_estimator = make_estimator
        self.X, self.y, self.groups = X, y, groups
        self.cv: Any = list(cv) if _is_split_list(cv) else cv  # type: ignore[arg-type]
        self.scoring = scoring
        self.return_train_score = return_train_score
        self._classification: bool | None = None
        if check:
            self._check_data()

    # -- which splitter ---------------------------------------------------------------------
    def _is_classification(self) -> bool:
        if self._classification is None:
            from sklearn.utils.multiclass import type_of_target

            y = np.asarray(self.y)
            # scikit-learn calls whole-number floats (e.g. the diabetes target) "multiclass";
            # a float target with many distinct values is a regression target all the same
            many_floats = y.dtype.kind == "f" and len(np.unique(y)) > _MAX_FLOAT_CLASSES
            self._classification = not many_floats and type_of_target(y) in (
                "binary",
                "multiclass",
            )
        return self._classification

    def splitter(self, seed: int) -> Any:
        """The splitter for a trial with ``seed`` (shuffled by it where the splitter shuffles)."""
        from sklearn import model_selection as ms

        cv = self.cv
        if not isinstance(cv, (int, str)):
            return cv
        n = cv if isinstance(cv, int) else 5
        if cv == "time":
            return ms.TimeSeriesSplit(n_splits=n)
        if cv == "group" or ((cv == "auto" or isinstance(cv, int)) and self.groups is not None):
            return ms.GroupKFold(n_splits=n)
        if cv == "kfold":
            return ms.KFold(n_splits=n, shuffle=True, random_state=seed)
        if cv == "stratified" or self._is_classification():
            return ms.StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)
        return ms.KFold(n_splits=n, shuffle=True, random_state=seed)

    def splits(self, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        splitter = self.splitter(seed)
        if isinstance(splitter, list):
            return [(np.asarray(a), np.asarray(b)) for a, b in splitter]
        return [
            (np.asarray(a), np.asarray(b))
            for a, b in splitter.split(self.X, self.y, groups=self.groups)
        ]

    # -- checks made once, before any trial (warnings inside a trial would fail it) ----------
    def _check_data(self) -> None:
        y = np.asarray(self.y)
        splits = self.splits(0)
        splitter = self.splitter(0)
        name = type(splitter).__name__
        if (
            self._is_classification()
            and "Stratified" not in name
            and self.groups is None
            and self.cv != "time"
        ):
            _, counts = np.unique(y, return_counts=True)
            if counts.min() < IMBALANCE_RATIO * counts.max():
                _warn(
                    f"the classes are imbalanced (the rarest has {counts.min()} rows, the "
                    f"most common {counts.max()}) and the split is not stratified ({name}): "
                    "folds get different class shares and the scores are noisier; use "
                    "cv='auto' or 'stratified'"
                )
        overlapping = [i for i, (tr, va) in enumerate(splits) if np.intersect1d(tr, va).size]
        if overlapping:
            _warn(
                f"the splitter puts the same rows in training and validation (fold(s) "
                f"{overlapping}): validation scores measure memory, not generalization"
            )
        hashes = row_hashes(self.X)
        _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
        if (counts > 1).any():
            crossing = 0
            for train, val in splits:
                crossing += int(np.isin(inverse[val], inverse[train]).sum())
            if crossing:
                _warn(
                    f"{int((counts[counts > 1] - 1).sum())} row(s) of X are exact duplicates of "
                    f"another row, and {crossing} validation row(s) have a copy in their "
                    "training part: deduplicate X, or pass groups= (e.g. one id per distinct "
                    "row) so that copies stay on one side"
                )
        kind = looks_preprocessed(self.X)
        if kind is not None:
            _warn(
                f"X looks already {kind} with statistics of the whole data set, validation rows "
                "included: fit preprocessing inside each fold (make_estimator returns a "
                "Pipeline of preprocessing and model); tuningfork.check_leakage measures the "
                "effect"
            )

    # -- one trial ---------------------------------------------------------------------------
    def _scorer(self, estimator: Any) -> Callable[..., float]:
        from sklearn.metrics import check_scoring

        scorer: Callable[..., float] = check_scoring(estimator, scoring=self.scoring)
        return scorer

    def __call__(self, trial: Any) -> float:
        from sklearn.base import clone
        from sklearn.utils import _safe_indexing

        template = self.make_estimator(trial)
        scorer = self._scorer(template)
        val_scores: list[float] = []
        train_scores: list[float] = []
        for train, val in self.splits(trial.seed):
            estimator = clone(template)
            X_train, y_train = _safe_indexing(self.X, train), _safe_indexing(self.y, train)
            estimator.fit(X_train, y_train)
            val_scores.append(
                float(scorer(estimator, _safe_indexing(self.X, val), _safe_indexing(self.y, val)))
            )
            if self.return_train_score:
                train_scores.append(float(scorer(estimator, X_train, y_train)))
        trial.set_user_attr("fold_scores", val_scores)
        if self.return_train_score:
            trial.set_user_attr("train_score", float(np.mean(train_scores)))
            trial.set_user_attr("train_fold_scores", train_scores)
        return float(np.mean(val_scores))

    def evaluate_on_test(self, params: Mapping[str, Any], X_test: Any, y_test: Any) -> float:
        """Fit the estimator of ``params`` on all of ``X, y`` and score it on the test data."""
        estimator = self.make_estimator(FixedTrial(params, seed=0))
        estimator.fit(self.X, self.y)
        return float(self._scorer(estimator)(estimator, X_test, y_test))


def _is_split_list(cv: Any) -> bool:
    return (
        isinstance(cv, Iterable) and not isinstance(cv, (str, bytes)) and not hasattr(cv, "split")
    )


def cross_val_objective(
    make_estimator: Callable[[Any], Any],
    X: Any,
    y: Any,
    *,
    cv: int | str | Any = 5,
    scoring: str | Callable[..., float] | None = None,
    groups: Any = None,
    return_train_score: bool = False,
    check: bool = True,
) -> CrossValObjective:
    """An objective for ``study.optimize`` (direction ``"maximize"``: scikit-learn scores are
    greater-is-better) that cross-validates ``make_estimator(trial)``.

    ``make_estimator(trial)`` suggests parameters and returns an unfitted estimator; put every
    preprocessing step in it (a ``Pipeline``), so that it is cloned and fitted on the training
    part of each fold only. ``cv``: a number of folds (default 5), ``"auto"`` (the same),
    ``"stratified"``, ``"kfold"``, ``"group"`` or ``"time"`` (``TimeSeriesSplit``), a
    scikit-learn splitter, or a list of ``(train, validation)`` index pairs. With a number or
    ``"auto"``: ``GroupKFold`` when ``groups`` are given, else ``StratifiedKFold`` for a
    classification target, else ``KFold``; shuffled with ``trial.seed``.

    Each trial stores ``fold_scores`` (and ``train_score``, the mean training score, with
    ``train_fold_scores`` when ``return_train_score``) and returns the mean validation score.
    With ``check`` (default), warns (``TuningforkWarning``) when a classification target is
    imbalanced and the split is not stratified, when a splitter puts a row on both sides, when
    exact duplicate rows land on both sides, and when ``X`` looks scaled with whole-data
    statistics.
    """
    return CrossValObjective(
        make_estimator,
        X,
        y,
        cv=cv,
        scoring=scoring,
        groups=groups,
        return_train_score=return_train_score,
        check=check,
    )
