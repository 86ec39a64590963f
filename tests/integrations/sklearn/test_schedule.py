"""The successive-halving schedule: pinned tables, and the same numbers as scikit-learn."""

from __future__ import annotations

import warnings

import pytest

from tuningfork.integrations.sklearn import TuningSearchCV, halving_schedule
from tuningfork.integrations.sklearn._schedule import ilog


def test_issue_example_six_rungs_last_uses_more_than_half() -> None:
    # 1050 samples, 160 candidates, factor 2, smallest resource 20 (2 * 5 folds * 2 classes)
    schedule = halving_schedule(160, 20, 1050, 2, min_resources="exhaust")
    assert schedule.n_iterations == 6
    assert schedule.n_resources == (20, 40, 80, 160, 320, 640)
    assert schedule.n_candidates == (160, 80, 40, 20, 10, 5)
    assert schedule.n_resources[-1] > 1050 / 2
    assert schedule.n_required_iterations == 8
    assert schedule.n_possible_iterations == 6


@pytest.mark.parametrize(
    ("args", "kwargs", "resources", "candidates"),
    [
        # exhaust: the smallest resource is raised so that the last iteration uses the most
        ((27, 1, 1000, 3), {}, (37, 111, 333, 999), (27, 9, 3, 1)),
        ((27, 1, 1000, 3), {"min_resources": "smallest"}, (1, 3, 9, 27), (27, 9, 3, 1)),
        ((27, 1, 1000, 3), {"min_resources": 10}, (10, 30, 90, 270), (27, 9, 3, 1)),
        # exact powers of the factor (scikit-learn's float log loses an iteration at 243)
        ((243, 1, 243, 3), {}, (1, 3, 9, 27, 81, 243), (243, 81, 27, 9, 3, 1)),
        # few resources: the schedule stops when the resource runs out...
        ((100, 10, 40, 2), {}, (10, 20, 40), (100, 50, 25)),
        # ...unless aggressive elimination repeats the first resource
        (
            (100, 10, 40, 2),
            {"aggressive_elimination": True},
            (10, 10, 10, 10, 10, 20, 40),
            (100, 50, 25, 13, 7, 4, 2),
        ),
        # one candidate: one iteration on the whole resource (exhaust)
        ((1, 4, 100, 3), {}, (100,), (1,)),
    ],
)
def test_schedule_table(
    args: tuple[int, int, int, int],
    kwargs: dict[str, object],
    resources: tuple[int, ...],
    candidates: tuple[int, ...],
) -> None:
    schedule = halving_schedule(*args, **kwargs)  # type: ignore[arg-type]
    assert schedule.n_resources == resources
    assert schedule.n_candidates == candidates
    assert all(r <= args[2] for r in schedule.n_resources)


def test_ilog_is_exact_at_powers() -> None:
    assert [ilog(3**k, 3) for k in range(12)] == list(range(12))
    assert [ilog(3**k - 1, 3) for k in range(1, 12)] == list(range(11))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_candidates": 0}, r"n_candidates must be an int >= 1, got 0"),
        ({"factor": 1}, r"factor must be an int >= 2, got 1"),
        ({"min_resources": "most"}, r"min_resources must be 'exhaust', 'smallest' or an int"),
        ({"min_resources": 2000}, r"min_resources=2000 is greater than max_resources=1050"),
    ],
)
def test_schedule_errors(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "n_candidates": 10,
        "smallest": 20,
        "max_resources": 1050,
        "factor": 2,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        halving_schedule(**args)  # type: ignore[arg-type]


@pytest.mark.slow
def test_same_schedule_as_halving_random_search_cv() -> None:
    from scipy.stats import randint
    from sklearn.datasets import make_classification
    from sklearn.dummy import DummyClassifier
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV

    X, y = make_classification(n_samples=1050, n_features=5, random_state=0)
    # a nearly free fit whose score still depends on the searched parameter
    space = {"random_state": randint(0, 10**6)}
    theirs = HalvingRandomSearchCV(
        DummyClassifier(strategy="stratified"),
        space,
        n_candidates=160,
        factor=2,
        min_resources="exhaust",
        cv=5,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs.fit(X, y)
    ours = TuningSearchCV(
        DummyClassifier(strategy="stratified"),
        space,
        n_trials=160,
        resource="n_samples",
        factor=2,
        min_resources="exhaust",
        cv=5,
        random_state=0,
        return_train_score=True,  # HalvingRandomSearchCV's default
    ).fit(X, y)
    assert theirs.min_resources_ == ours.min_resources_ == 20
    assert list(theirs.n_resources_) == ours.n_resources_ == [20, 40, 80, 160, 320, 640]
    assert list(theirs.n_candidates_) == ours.n_candidates_ == [160, 80, 40, 20, 10, 5]
    assert theirs.n_iterations_ == ours.n_iterations_ == 6
    assert ours.n_resources_[-1] > 1050 / 2
    assert set(ours.cv_results_) == set(theirs.cv_results_)
    assert len(ours.cv_results_["params"]) == sum(ours.n_candidates_)
    # the best is chosen among the last iteration's candidates
    assert ours.cv_results_["iter"][ours.best_index_] == 5
