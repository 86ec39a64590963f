"""TuningSearchCV: attributes, cv_results_, refit, spaces, grids, failures, pipelines, resume."""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import numpy as np
import pytest
from scipy.stats import expon, loguniform, randint, uniform
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier

import tuningfork
from tuningfork import Categorical, Float, Int
from tuningfork.integrations.sklearn import TuningSearchCV
from tuningfork.samplers import RandomSampler, SobolSampler

X, Y = make_classification(n_samples=120, n_features=6, random_state=0)


def lr() -> LogisticRegression:
    return LogisticRegression(max_iter=200)


def test_fitted_attributes_and_delegation() -> None:
    search = TuningSearchCV(
        lr(), {"C": Float(0.01, 10, log=True)}, n_trials=4, cv=3, random_state=0
    )
    assert search.fit(X, Y) is search
    assert set(search.best_params_) == {"C"}
    assert 0.01 <= search.best_params_["C"] <= 10
    assert search.best_score_ == search.cv_results_["mean_test_score"][search.best_index_]
    assert search.cv_results_["rank_test_score"][search.best_index_] == 1
    assert search.best_params_["C"] == search.best_estimator_.C
    assert search.n_splits_ == 3
    assert search.multimetric_ is False
    assert search.refit_time_ > 0
    assert list(search.classes_) == [0, 1]
    assert search.n_features_in_ == 6
    assert search.predict(X).shape == (120,)
    assert search.predict_proba(X).shape == (120, 2)
    assert search.decision_function(X).shape == (120,)
    assert search.score(X, Y) == search.best_estimator_.score(X, Y)
    assert len(search.study_.trials) == 4
    assert search.study_.best_value == search.best_score_
    assert not hasattr(search, "transform")


def test_delegation_follows_the_estimator() -> None:
    search = TuningSearchCV(LinearSVC(), {"C": Float(0.1, 1.0)}, n_trials=2, cv=2)
    assert not hasattr(search, "predict_proba")
    assert hasattr(search, "decision_function")
    assert hasattr(
        TuningSearchCV(
            make_pipeline(StandardScaler()), {"standardscaler__with_mean": [True, False]}
        ),
        "transform",
    )


def test_random_state_gives_the_same_search() -> None:
    a = TuningSearchCV(
        lr(), {"C": Float(0.01, 10, log=True)}, n_trials=5, cv=2, random_state=3
    ).fit(X, Y)
    b = TuningSearchCV(
        lr(), {"C": Float(0.01, 10, log=True)}, n_trials=5, cv=2, random_state=3
    ).fit(X, Y)
    assert a.cv_results_["params"] == b.cv_results_["params"]
    assert a.study_.seed == 3


def _keys(search: Any) -> set[str]:
    return set(search.cv_results_)


@pytest.mark.parametrize(
    ("scoring", "refit", "train"),
    [
        (None, True, False),
        ("accuracy", True, True),
        (["accuracy", "roc_auc"], "roc_auc", False),
        ({"acc": "accuracy", "ll": "neg_log_loss"}, "acc", True),
        (["accuracy", "f1"], False, False),
    ],
)
def test_cv_results_keys_equal_randomized_search_cv(scoring: Any, refit: Any, train: bool) -> None:
    space = {"C": loguniform(0.1, 10), "fit_intercept": [True, False]}
    kwargs = {"cv": 3, "scoring": scoring, "refit": refit, "return_train_score": train}
    ours = TuningSearchCV(lr(), space, n_trials=3, random_state=0, **kwargs).fit(X, Y)
    theirs = RandomizedSearchCV(lr(), space, n_iter=3, random_state=0, **kwargs).fit(X, Y)
    assert _keys(ours) == _keys(theirs)
    assert ours.multimetric_ == theirs.multimetric_
    for attr in ("best_index_", "best_params_", "best_estimator_", "best_score_"):
        assert hasattr(ours, attr) == hasattr(theirs, attr), attr
    assert isinstance(ours.cv_results_["param_C"], np.ma.MaskedArray)
    if isinstance(scoring, dict):
        assert set(ours.scorer_) == set(scoring)


def test_refit_callable_picks_the_index() -> None:
    def lowest_c(results: dict[str, Any]) -> int:
        return int(np.argmin(np.asarray(results["param_C"], dtype=float)))

    search = TuningSearchCV(
        lr(), {"C": Float(0.01, 10, log=True)}, n_trials=4, cv=2, refit=lowest_c, random_state=0
    ).fit(X, Y)
    cs = [p["C"] for p in search.cv_results_["params"]]
    assert search.best_params_["C"] == min(cs)
    assert not hasattr(search, "best_score_")
    assert hasattr(search, "best_estimator_")


def test_multimetric_refit_true_is_refused_like_sklearn() -> None:
    search = TuningSearchCV(lr(), {"C": [1.0]}, scoring=["accuracy", "f1"], refit=True)
    with pytest.raises(ValueError, match="refit must be set to a scorer key"):
        search.fit(X, Y)


def test_refit_false_has_no_best_estimator() -> None:
    search = TuningSearchCV(lr(), {"C": [0.1, 1.0]}, n_trials=2, cv=2, refit=False).fit(X, Y)
    assert hasattr(search, "best_params_")
    assert not hasattr(search, "best_estimator_")
    with pytest.raises(AttributeError):
        search.predict(X)


def test_scipy_distributions_map_exactly() -> None:
    from tuningfork.integrations.sklearn._params import to_params

    params = {
        p.name: p
        for p in to_params(
            {
                "a": uniform(1, 4),
                "b": loguniform(1e-3, 1e2),
                "c": randint(2, 9),
                "d": expon(),
                "e": [1, 2.5, "x", None],
                "f": np.array([0.1, 0.2]),
                "g": [SVC(), lr()],
            }
        )
    }
    assert params["a"].distribution == Float(1.0, 5.0)
    assert params["b"].distribution == Float(1e-3, 1e2, log=True)
    assert params["c"].distribution == Int(2, 8)
    assert params["d"].distribution == Float(0.0, 1.0) and params["d"].kind == "ppf"
    assert params["d"].decode(0.5) == pytest.approx(expon().ppf(0.5))
    assert np.isfinite(params["d"].decode(1.0))
    assert params["e"].distribution == Categorical([1, 2.5, "x", None])
    assert params["f"].distribution == Categorical([0.1, 0.2])
    assert type(params["f"].decode(0.1)) is float
    assert params["g"].kind == "index" and params["g"].distribution == Categorical([0, 1])
    assert isinstance(params["g"].decode(0), SVC)


def test_other_discrete_scipy_distributions_go_through_ppf() -> None:
    from scipy.stats import poisson

    from tuningfork.integrations.sklearn._params import to_params

    (param,) = to_params({"k": poisson(3)})
    assert param.kind == "ppf" and param.discrete
    values = [param.decode(u) for u in (0.0, 0.3, 0.5, 0.99, 1.0)]
    assert all(type(v) is int for v in values)
    assert values == sorted(values) and values[2] == int(poisson(3).ppf(0.5))


def test_ppf_and_object_choices_reach_the_estimator() -> None:
    space = {
        "clf": [LogisticRegression(max_iter=100), DecisionTreeClassifier(random_state=0)],
        "scale__with_std": [True, False],
        "clf__random_state": randint(0, 3),
    }
    pipe = Pipeline([("scale", StandardScaler()), ("clf", lr())])
    search = TuningSearchCV(pipe, space, n_trials=4, cv=2, random_state=0).fit(X, Y)
    kinds = {type(p["clf"]).__name__ for p in search.cv_results_["params"]}
    assert kinds <= {"LogisticRegression", "DecisionTreeClassifier"}
    assert isinstance(search.best_estimator_, Pipeline)


def test_inside_a_pipeline_and_nested_names() -> None:
    inner = TuningSearchCV(
        make_pipeline(StandardScaler(), lr()),
        {"logisticregression__C": Float(0.01, 10, log=True)},
        n_trials=3,
        cv=2,
        random_state=0,
    )
    outer = make_pipeline(StandardScaler(), inner).fit(X, Y)
    assert outer.predict(X).shape == (120,)
    fitted = outer[-1]
    assert set(fitted.best_params_) == {"logisticregression__C"}


def test_grid_walks_every_point_once() -> None:
    grid = {"C": [0.1, 1.0, 10.0], "fit_intercept": [True, False]}
    search = TuningSearchCV.from_grid(lr(), grid, cv=2, random_state=0).fit(X, Y)
    seen = {(p["C"], p["fit_intercept"]) for p in search.cv_results_["params"]}
    assert len(search.cv_results_["params"]) == 6 and len(seen) == 6
    assert type(search.study_.sampler).__name__ == "GridSampler"


def test_list_of_grids_queues_each_point() -> None:
    grid = [{"kernel": ["linear"], "C": [0.5, 1.0]}, {"kernel": ["rbf"], "gamma": [0.1, 1.0]}]
    search = TuningSearchCV(SVC(), param_grid=grid, n_trials=None, cv=2).fit(X, Y)
    params = search.cv_results_["params"]
    assert len(params) == 4
    assert {"kernel": "rbf", "gamma": 1.0} in params
    assert search.cv_results_["param_gamma"].mask.tolist().count(True) == 2


def test_sampler_is_used() -> None:
    search = TuningSearchCV(
        lr(), {"C": Float(0.1, 1.0)}, n_trials=2, cv=2, sampler=SobolSampler()
    ).fit(X, Y)
    assert type(search.study_.sampler).__name__ == "SobolSampler"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"param_distributions": None}, ValueError, "exactly one of param_distributions"),
        ({"param_distributions": [{"C": [1.0]}]}, ValueError, "for a list of grids use"),
        ({"error_score": "ignore"}, ValueError, "error_score must be 'raise' or a number"),
        ({"sampler": "tpe"}, TypeError, "sampler must be a tuningfork Sampler"),
        ({"n_trials": -1}, ValueError, "n_trials must be an int >= 0"),
        (
            {"param_distributions": {"C": []}},
            ValueError,
            "parameter 'C': the list of values is empty",
        ),
        ({"resource": "n_estimators"}, ValueError, "resource='n_estimators' is neither"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    args: dict[str, Any] = {"param_distributions": {"C": [1.0, 2.0]}, "cv": 2}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        TuningSearchCV(lr(), **args).fit(X, Y)


# -- failures ----------------------------------------------------------------------------------
# A linear SVC with penalty='l1' and loss='hinge' is an invalid combination: fit raises.
BAD = {"penalty": ["l1", "l2"], "loss": ["hinge"], "dual": [True]}


def test_error_score_raise_reraises() -> None:
    search = TuningSearchCV(
        LinearSVC(), {"penalty": ["l1"], "loss": ["hinge"]}, n_trials=1, cv=2, error_score="raise"
    )
    with pytest.raises(ValueError, match="penalty='l1'"):
        search.fit(X, Y)


def test_numeric_error_score_warns_and_nan_is_never_best() -> None:
    search = TuningSearchCV(
        LinearSVC(), {"penalty": ["l1", "l2"], "loss": ["hinge"]}, n_trials=2, cv=2, random_state=0
    )
    with pytest.warns(FitFailedWarning, match="fits failed"):
        search.fit(X, Y)
    means = search.cv_results_["mean_test_score"]
    assert np.isnan(means).sum() == 1
    assert search.best_params_["penalty"] == "l2"
    assert search.cv_results_["rank_test_score"][np.isnan(means)][0] == 2
    failed = search.study_.get_trials([tuningfork.TrialState.FAILED])
    assert len(failed) == 1 and failed[0].params["penalty"] == "l1"

    zero = TuningSearchCV(
        LinearSVC(),
        {"penalty": ["l1", "l2"], "loss": ["hinge"]},
        n_trials=2,
        cv=2,
        error_score=0.0,
        random_state=0,
    )
    with pytest.warns(FitFailedWarning):
        zero.fit(X, Y)
    assert sorted(zero.cv_results_["mean_test_score"])[0] == 0.0


def test_every_candidate_failing_says_so() -> None:
    search = TuningSearchCV(LinearSVC(), {"penalty": ["l1"], "loss": ["hinge"]}, n_trials=2, cv=2)
    with (
        pytest.warns(FitFailedWarning),
        pytest.raises(ValueError, match=r"every candidate failed(.|\n)*penalty='l1'"),
    ):
        search.fit(X, Y)


# -- successive halving ------------------------------------------------------------------------
def test_halving_on_an_estimator_parameter() -> None:
    from sklearn.ensemble import RandomForestClassifier

    search = TuningSearchCV(
        RandomForestClassifier(random_state=0),
        {"max_depth": Int(1, 20)},
        n_trials=9,
        resource="n_estimators",
        min_resources=2,
        max_resources=18,
        factor=3,
        cv=2,
        random_state=0,
    ).fit(X, Y)
    assert search.n_resources_ == [2, 6, 18]
    assert search.n_candidates_ == [9, 3, 1]
    results = search.cv_results_
    assert list(results["iter"]) == [0] * 9 + [1] * 3 + [2]
    assert list(results["n_resources"]) == [2] * 9 + [6] * 3 + [18]
    assert search.best_params_["n_estimators"] == 18
    assert search.best_estimator_.n_estimators == 18
    states = [t.state for t in search.study_.trials]
    assert states.count(tuningfork.TrialState.PRUNED) == 8
    assert states.count(tuningfork.TrialState.COMPLETE) == 1


def test_halving_never_promotes_nan() -> None:
    # with dual=True (explicit: the default changed in scikit-learn 1.3) penalty='l1' fails
    search = TuningSearchCV(
        LinearSVC(dual=True),
        {"penalty": ["l1", "l2"], "loss": ["hinge", "squared_hinge"], "C": [0.5, 1.0]},
        n_trials=8,
        resource="max_iter",
        min_resources=100,
        max_resources=400,
        factor=2,
        cv=2,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, Y)
    results = search.cv_results_
    nan_first = [
        p
        for p, it, m in zip(
            results["params"], results["iter"], results["mean_test_score"], strict=True
        )
        if it == 0 and np.isnan(m)
    ]
    assert len(nan_first) == 4 and all(p["penalty"] == "l1" for p in nan_first)
    later = [p for p, it in zip(results["params"], results["iter"], strict=True) if it > 0]
    assert later and not any(p["penalty"] == "l1" for p in later)
    assert np.isfinite(search.best_score_)


def test_halving_on_n_samples_small() -> None:
    search = TuningSearchCV(
        lr(),
        {"C": Float(0.01, 10, log=True)},
        n_trials=6,
        resource="n_samples",
        factor=2,
        cv=2,
        random_state=0,
    ).fit(X, Y)
    assert search.n_resources_[-1] <= 120
    assert search.n_candidates_[0] == 6
    assert search.n_resources_[-1] > 60


# -- storage, parallelism, pickling -----------------------------------------------------------
def test_resume_from_storage(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'search.db'}"
    kwargs: dict[str, Any] = {
        "n_trials": 3,
        "cv": 2,
        "storage": url,
        "study_name": "lr",
        "random_state": 0,
    }
    first = TuningSearchCV(lr(), {"C": Float(0.01, 10, log=True)}, **kwargs).fit(X, Y)
    assert len(first.cv_results_["params"]) == 3
    second = TuningSearchCV(lr(), {"C": Float(0.01, 10, log=True)}, **kwargs).fit(X, Y)
    assert len(second.cv_results_["params"]) == 6
    assert second.cv_results_["params"][:3] == first.cv_results_["params"]
    assert second.best_score_ >= first.best_score_
    stored = tuningfork.load_study("lr", url)
    assert len(stored.trials) == 6
    with pytest.raises(ValueError, match="differs from the space given now"):
        TuningSearchCV(lr(), {"C": Float(0.1, 1.0)}, **kwargs).fit(X, Y)


def test_n_jobs_runs_threads() -> None:
    search = TuningSearchCV(
        lr(),
        {"C": Float(0.01, 10, log=True)},
        n_trials=6,
        cv=2,
        n_jobs=2,
        sampler=RandomSampler(),
        random_state=0,
    ).fit(X, Y)
    assert len(search.cv_results_["params"]) == 6
    assert len({t.number for t in search.study_.trials}) == 6


def test_pickle_keeps_results_and_drops_the_live_study() -> None:
    search = TuningSearchCV(lr(), {"C": Float(0.01, 10, log=True)}, n_trials=2, cv=2).fit(X, Y)
    clone = pickle.loads(pickle.dumps(search))
    assert clone.best_params_ == search.best_params_
    assert (clone.predict(X) == search.predict(X)).all()
    assert clone.study_name_ == search.study_name_
    assert not hasattr(clone, "study_")


def test_iris_multiclass_with_stratified_folds() -> None:
    Xi, yi = load_iris(return_X_y=True)
    search = TuningSearchCV(
        SVC(), {"C": Float(0.1, 10, log=True), "gamma": ["scale", 0.1]}, n_trials=5, random_state=0
    ).fit(Xi, yi)
    assert search.n_splits_ == 5
    assert search.best_score_ > 0.9


def test_fit_params_and_groups_reach_the_folds() -> None:
    from sklearn.model_selection import GroupKFold

    groups = np.arange(len(Y)) % 4
    search = TuningSearchCV(lr(), {"C": Float(0.1, 1.0)}, n_trials=2, cv=GroupKFold(4))
    search.fit(X, Y, groups=groups, sample_weight=np.ones(len(Y)))
    assert search.n_splits_ == 4
    assert len(search.cv_results_["split3_test_score"]) == 2


def test_list_of_grids_evaluates_every_point_of_every_grid() -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC

    X, y = load_iris(return_X_y=True)
    grid = [
        {"clf": [LogisticRegression(max_iter=500)]},
        {"clf": [SVC()], "clf__C": [0.1, 1.0]},
        {"clf": [KNeighborsClassifier()], "clf__n_neighbors": [3, 5, 7]},
    ]
    search = TuningSearchCV(Pipeline([("clf", SVC())]), param_grid=grid, cv=3).fit(X, y)
    tried = sorted(
        (type(p["clf"]).__name__, p.get("clf__C"), p.get("clf__n_neighbors"))
        for p in search.cv_results_["params"]
    )
    assert tried == [
        ("KNeighborsClassifier", None, 3),
        ("KNeighborsClassifier", None, 5),
        ("KNeighborsClassifier", None, 7),
        ("LogisticRegression", None, None),
        ("SVC", 0.1, None),
        ("SVC", 1.0, None),
    ]


def test_continuing_with_another_cv_or_scoring_is_refused(tmp_path: Any) -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    storage = f"sqlite:///{tmp_path / 'search.db'}"

    def search(**kwargs: Any) -> TuningSearchCV:
        return TuningSearchCV(
            LogisticRegression(max_iter=500),
            {"C": Float(0.1, 10.0, log=True)},
            n_trials=2,
            storage=storage,
            study_name="s",
            random_state=0,
            **kwargs,
        )

    search(cv=3).fit(X, y)
    for changed in ({"cv": 5}, {"cv": 3, "scoring": "f1_macro"}):
        with pytest.raises(ValueError, match="scores of the two do not compare"):
            search(**changed).fit(X, y)
    again = search(cv=3).fit(X, y)  # the stored protocol still works, and adds its trials
    assert len(again.cv_results_["params"]) == 4
