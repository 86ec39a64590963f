"""check_study (likely mistakes) and overfitting_report (gaps, optimism): pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tuningfork import Float, Int
from tuningfork._core.history import History
from tuningfork._core.records import Direction, TrialRecord, TrialState
from tuningfork.analysis import check_study, overfitting_report, summarize_reevaluations


def _trial(number: int, value: float, params: dict[str, Any], **attrs: Any) -> TrialRecord:
    return TrialRecord(
        number=number,
        state=TrialState.COMPLETE,
        seed=number,
        params=params,
        values=(value,),
        user_attrs=attrs.get("user_attrs", {}),
        system_attrs=attrs.get("system_attrs", {}),
    )


def _history(trials: list[TrialRecord], direction: Direction = Direction.MAXIMIZE) -> History:
    return History([direction], trials)


SPACE = {"lr": Float(1e-5, 1.0, log=True), "depth": Int(1, 10)}


def _kinds(findings: list[Any]) -> list[tuple[str, str | None]]:
    return [(f.kind, f.param) for f in findings]


def test_too_few_trials_for_the_number_of_parameters() -> None:
    trials = [_trial(i, float(i), {"lr": 1e-3, "depth": 5}) for i in range(19)]
    findings = check_study(_history(trials), SPACE)
    assert _kinds(findings) == [("too_few_trials", None)]
    assert "19 completed trials for 2 tuned parameter(s)" in findings[0].message
    assert check_study(_history([*trials, _trial(19, 0.0, {"lr": 1e-3, "depth": 5})]), SPACE) == []


@pytest.mark.parametrize(
    ("lr", "depth", "expected"),
    [
        (1e-3, 5, []),
        (0.9, 5, [("edge_of_range", "lr")]),  # log scale: 0.9 is in the outer 2% below 1.0
        (1.2e-5, 5, [("edge_of_range", "lr")]),
        (1e-3, 10, [("edge_of_range", "depth")]),
        (0.99, 1, [("edge_of_range", "lr"), ("edge_of_range", "depth")]),
    ],
)
def test_the_best_value_at_the_edge_of_a_range(
    lr: float, depth: int, expected: list[tuple[str, str]]
) -> None:
    trials = [_trial(i, 0.0, {"lr": 1e-3, "depth": 5}) for i in range(30)]
    trials.append(_trial(30, 1.0, {"lr": lr, "depth": depth}))
    findings = check_study(_history(trials), SPACE)
    assert _kinds(findings) == expected
    for f in findings:
        assert "consider widening" in f.message and "the best trial (30)" in f.message


def test_a_wide_linear_range_should_be_log() -> None:
    space = {"C": Float(0.001, 10.0), "alpha": Float(0.1, 10.0), "gamma": Float(0.0, 1e4)}
    trials = [
        _trial(i, float(i == 3), {"C": 5.0, "alpha": 5.0, "gamma": 5000.0}) for i in range(40)
    ]
    findings = check_study(_history(trials), space)
    assert _kinds(findings) == [("log_scale", "C")]  # alpha spans 100x; gamma has low = 0
    assert "4.0 orders of magnitude" in findings[0].message
    assert "use log=True" in findings[0].message


def test_define_by_run_distributions_are_used_without_a_space() -> None:
    dist = Float(1.0, 1e4)
    record = TrialRecord(
        number=0,
        state=TrialState.COMPLETE,
        seed=0,
        params={"x": 5000.0},
        distributions={"x": dist},
        values=(1.0,),
    )
    assert [f.kind for f in check_study(_history([record]))] == ["too_few_trials", "log_scale"]


def test_overfitting_report_gaps() -> None:
    trials = [
        _trial(0, 0.80, {"a": 1}, user_attrs={"train_score": 0.99, "fold_scores": [0.8, 0.8]}),
        _trial(1, 0.90, {"a": 2}, user_attrs={"train_score": 0.95, "fold_scores": [0.95, 0.85]}),
        _trial(2, 0.85, {"a": 3}, user_attrs={"train_score": 0.9, "fold_scores": [0.8, 0.9]}),
    ]
    config = {"test_evaluations": [{"value": 0.84, "trial": 1}]}
    report = overfitting_report(_history(trials), config)
    assert report is not None
    assert report.best_trial == 1
    assert report.train_gap == pytest.approx(0.05)
    assert report.test_gap == pytest.approx(0.06)
    # Tibshirani-Tibshirani: fold 0 best 0.95 (chosen 0.95), fold 1 best 0.9 (chosen 0.85)
    assert report.optimism_method == "folds"
    assert report.optimism == pytest.approx(0.025)
    text = str(report)
    assert "train vs validation" in text and "validation vs test" in text


def test_optimism_from_reevaluations_and_minimization() -> None:
    trials = [_trial(0, 1.0, {"a": 1}), _trial(1, 3.0, {"a": 2})]
    trials += [
        _trial(2 + i, v, {"a": 1}, system_attrs={"reevaluation_of": 0})
        for i, v in enumerate([1.4, 1.6, 1.5])
    ]
    history = _history(trials, Direction.MINIMIZE)
    report = overfitting_report(history)
    assert report is not None and report.best_trial == 0
    assert report.optimism == pytest.approx(0.5)  # looked 0.5 better than it is
    assert report.optimism_method == "reevaluation"
    result = summarize_reevaluations(history)
    assert result is not None and result.trial_number == 0 and result.n == 3
    assert result.mean == pytest.approx(1.5)
    assert result.ci_low < 1.5 < result.ci_high


def test_tuning_after_the_test_evaluation_is_noted() -> None:
    start = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    trials = [
        _trial(0, 0.5, {"a": 1}).evolve(started_at=start),
        _trial(1, 0.6, {"a": 2}).evolve(started_at=start + timedelta(hours=1)),
    ]
    config = {"test_evaluations": [{"value": 0.5, "trial": 0, "time": "2026-01-01T12:30:00+00:00"}]}
    report = overfitting_report(_history(trials), config)
    assert report is not None
    assert any("1 trial(s) started after the first test evaluation" in n for n in report.notes)


def test_no_report_without_a_completed_trial() -> None:
    assert overfitting_report(History([Direction.MINIMIZE], [])) is None
