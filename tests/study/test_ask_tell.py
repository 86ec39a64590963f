from __future__ import annotations

import math

import pytest

import tuningfork as tf
from tuningfork import TrialState


def test_ask_tell_complete() -> None:
    study = tf.create_study(seed=1)
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    record = study.tell(trial, x * 2)
    assert record.state is TrialState.COMPLETE
    assert record.values == (x * 2,)
    assert record.params == {"x": x}
    assert study.best_value == x * 2


def test_tell_failed_keeps_the_error() -> None:
    study = tf.create_study(seed=1)
    trial = study.ask()
    record = study.tell(trial, state=TrialState.FAILED, error="RuntimeError: out of memory")
    assert record.state is TrialState.FAILED
    assert record.values is None
    assert record.system_attrs["error"] == "RuntimeError: out of memory"
    assert record.error_summary == "RuntimeError: out of memory"


def test_tell_twice_raises_and_changes_nothing() -> None:
    study = tf.create_study(seed=1)
    trial = study.ask()
    first = study.tell(trial, 1.0)
    with pytest.raises(tf.TrialFinishedError, match=r"trial 0 .* is COMPLETE"):
        study.tell(trial, 2.0)
    with pytest.raises(tf.TrialFinishedError):
        study.tell(trial.number, state=TrialState.FAILED)
    assert study.trials == [first]


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ((1.0, 2.0), "returned 2 value(s)"),
        ([], "returned 0 value(s)"),
        (None, "returned None"),
        ("1.0", "returned '1.0'"),
        (True, "returned a bool"),
        (math.nan, "not a finite number"),
        (math.inf, "not a finite number"),
        (object(), "of type object"),
    ],
)
def test_tell_with_an_unusable_result_fails_the_trial(result: object, reason: str) -> None:
    study = tf.create_study(seed=1)
    trial = study.ask()
    record = study.tell(trial, result)  # type: ignore[arg-type]
    assert record.state is TrialState.FAILED
    assert record.values is None
    assert record.system_attrs["error"].startswith("InvalidResult: the objective ")
    assert reason in record.system_attrs["error"]


def test_tell_with_wrong_number_of_values_in_multi_objective() -> None:
    study = tf.create_study(directions=["minimize", "maximize"], seed=1)
    trial = study.ask()
    record = study.tell(trial, 1.0)
    assert record.state is TrialState.FAILED
    assert "expected a sequence of 2 finite numbers" in record.system_attrs["error"]


def test_tell_pruned_keeps_last_reported_value() -> None:
    study = tf.create_study(seed=1)
    trial = study.ask()
    trial.report(0, 0.9)
    trial.report(3, 0.4)
    record = study.tell(trial, state=TrialState.PRUNED)
    assert record.state is TrialState.PRUNED
    assert record.values == (0.4,)
    assert record.intermediate == {0: 0.9, 3: 0.4}
    with pytest.raises(tf.NoCompletedTrialsError):
        study.best_trial  # noqa: B018 - a pruned trial is not a best trial


def test_tell_rejects_unfinished_states() -> None:
    study = tf.create_study(seed=1)
    trial = study.ask()
    with pytest.raises(ValueError, match="tell takes COMPLETE, PRUNED or FAILED, not RUNNING"):
        study.tell(trial, 1.0, state=TrialState.RUNNING)


def test_report_twice_keeps_first_value_with_warning() -> None:
    study = tf.create_study(seed=1)
    trial = study.ask()
    trial.report(1, 0.5)
    with pytest.warns(UserWarning, match=r"step 1 was already reported; the first value \(0.5\)"):
        trial.report(1, 0.7)
    assert trial.intermediate == {1: 0.5}
    with pytest.raises(ValueError, match="step must be an int >= 0"):
        trial.report(-1, 0.1)


def test_writing_to_a_finished_trial_raises() -> None:
    study = tf.create_study(seed=1)
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(tf.TrialFinishedError):
        trial.suggest_float("late", 0, 1)
    with pytest.raises(tf.TrialFinishedError):
        trial.set_user_attr("k", 1)


def test_suggest_same_name_returns_same_value_and_other_distribution_raises() -> None:
    study = tf.create_study(seed=1)
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    assert trial.suggest_float("x", 0, 1) == x
    with pytest.raises(ValueError, match=r"'x' was suggested as Float\(0.0, 1.0\) in this trial"):
        trial.suggest_float("x", 0, 2)


def test_suggest_float_warning_names_the_parameter() -> None:
    study = tf.create_study(seed=1)
    trial = study.ask()
    with pytest.warns(UserWarning, match=r"parameter 'x': .*largest value will be 0.9"):
        value = trial.suggest_float("x", 0, 1, step=0.3)
    assert value in (0.0, 0.3, 0.6, 0.9)


@pytest.mark.parametrize(
    ("suggest", "value"),
    [
        (lambda t: t.suggest_float("p", 2.5, 2.5), 2.5),
        (lambda t: t.suggest_float("p", 2.5, 2.5, log=True), 2.5),
        (lambda t: t.suggest_float("p", 2.5, 2.5, step=0.1), 2.5),
        (lambda t: t.suggest_int("p", 4, 4), 4),
        (lambda t: t.suggest_int("p", 4, 4, log=True), 4),
        (lambda t: t.suggest_int("p", 4, 4, step=3), 4),
        (lambda t: t.suggest_categorical("p", ["one"]), "one"),
    ],
)
def test_zero_width_suggest_always_yields_the_value(suggest: object, value: object) -> None:
    for sampler in (tf.samplers.RandomSampler(), tf.samplers.SobolSampler()):
        study = tf.create_study(seed=3, sampler=sampler)
        seen: list[object] = []

        def objective(trial: tf.Trial, seen: list[object] = seen) -> float:
            seen.append(suggest(trial))  # type: ignore[operator]
            return 0.0

        study.optimize(objective, n_trials=3)
        assert seen == [value]  # a one-point space is exhausted after one trial
        assert type(seen[0]) is type(value)
        assert [dict(t.params) for t in study.trials] == [{"p": value}]


def test_user_attrs_and_trial_seed() -> None:
    study = tf.create_study(seed=11)
    trial = study.ask()
    trial.set_user_attr("note", (1, "a"))
    record = study.tell(trial, 0.0)
    assert record.user_attrs == {"note": (1, "a")}
    from tuningfork._core.rng import trial_seed

    assert trial.seed == record.seed == trial_seed(11, 0)
