from __future__ import annotations

from collections import Counter

import tuningfork as tf


def test_define_by_run_conditional_params() -> None:
    def objective(trial: tf.Trial) -> float:
        model = trial.suggest_categorical("model", ["svm", "tree"])
        if model == "svm":
            c = trial.suggest_float("C", 1e-3, 1e3, log=True)
            return c
        return float(trial.suggest_int("depth", 1, 8))

    study = tf.create_study(seed=0)
    study.optimize(objective, n_trials=30)
    models = Counter()
    for t in study.trials:
        model = t.params["model"]
        models[model] += 1
        expected = {"model", "C"} if model == "svm" else {"model", "depth"}
        assert set(t.params) == expected
        assert set(t.distributions) == expected
    assert models["svm"] > 0 and models["tree"] > 0


SPEC = {
    "model": ["svm", "tree"],
    "C": {"type": "float", "low": 1e-3, "high": 1e3, "log": True, "when": {"model": "svm"}},
    "kernel": {"type": "categorical", "choices": ["rbf", "poly"], "when": {"model": "svm"}},
    "degree": {"type": "int", "low": 2, "high": 5, "when": {"kernel": "poly"}},
    "depth": {"type": "int", "low": 1, "high": 8, "when": {"model": "tree"}},
}


def test_tune_with_dict_spec_when() -> None:
    seen: list[dict[str, object]] = []

    def objective(params: dict[str, object]) -> float:
        seen.append(params)
        return 0.0

    study = tf.tune(objective, SPEC, n_trials=40, seed=1)
    assert len(seen) == 40
    for params in seen:
        if params["model"] == "tree":
            assert set(params) == {"model", "depth"}
        elif params["kernel"] == "poly":
            assert set(params) == {"model", "C", "kernel", "degree"}
        else:
            assert set(params) == {"model", "C", "kernel"}
    assert {p.get("kernel") for p in seen} == {None, "rbf", "poly"}
    assert [dict(t.params) for t in study.trials] == seen


def test_tune_with_conditional_objects_and_sobol() -> None:
    space = tf.SearchSpace(
        {
            "model": tf.Categorical(["svm", "tree"]),
            "C": tf.Conditional(tf.Float(1e-3, 1e3, log=True), when={"model": "svm"}),
            "depth": tf.Conditional(tf.Int(1, 8), when={"model": ["tree"]}),
        }
    )
    study = tf.tune(lambda p: 0.0, space, n_trials=16, seed=2, sampler=tf.samplers.SobolSampler())
    for t in study.trials:
        assert set(t.params) == (
            {"model", "C"} if t.params["model"] == "svm" else {"model", "depth"}
        )
    assert study.space == space
