"""The acceptance tests of issue 4 ("Early stopping and successive halving"), one by one."""

from __future__ import annotations

import math
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

import tuningfork
from tuningfork import Decision, Direction, TrialRecord, TrialState
from tuningfork._core.history import History
from tuningfork.execution import CommandObjective
from tuningfork.schedulers import ASHA, Hyperband, MedianStopping, SuccessiveHalving

NAN = math.nan
C, S = Decision.CONTINUE, Decision.STOP
RUNNING, COMPLETE, PRUNED, FAILED = (
    TrialState.RUNNING,
    TrialState.COMPLETE,
    TrialState.PRUNED,
    TrialState.FAILED,
)


def rec(number: int, curve: dict[int, float], state: TrialState = COMPLETE) -> TrialRecord:
    return TrialRecord(number=number, state=state, seed=0, intermediate=curve)


def decide(scheduler: object, trial: TrialRecord, *peers: TrialRecord) -> Decision:
    history = History([Direction.MINIMIZE], [*peers, trial])
    return scheduler.decide(trial, history)  # type: ignore[attr-defined, no-any-return]


# -- Hyperband(1, 8, 2) ----------------------------------------------------------------------
def test_hyperband_8_2_has_exactly_these_bracket_rungs() -> None:
    hb = Hyperband(min_resource=1, max_resource=8, reduction_factor=2)
    assert hb.rungs == (1, 2, 4, 8)
    assert hb.n_brackets == 4
    schedule = hb._schedule
    rung_sets = {frozenset(schedule.bracket_rungs(s)) for s in range(hb.n_brackets)}
    assert rung_sets == {
        frozenset({1, 2, 4, 8}),
        frozenset({2, 4, 8}),
        frozenset({4, 8}),
        frozenset({8}),
    }
    # every bracket is used within the first cycle of trial numbers
    assert {hb.bracket_of(n) for n in range(sum(schedule.bracket_sizes))} == {0, 1, 2, 3}


def test_hyperband_bracket_4_8_winner_reports_step_8_in_a_study() -> None:
    """A trial of the {4, 8} bracket that wins its rung runs on to step 8; a loser of that
    bracket is stopped at step 4 exactly (not at 1 or 2, which are not its rungs)."""
    hb = Hyperband(1, 8, 2)
    bracket_4_8 = 1  # bracket s starts at rung s_max - s = 2, i.e. resource 4
    assert hb._schedule.bracket_rungs(bracket_4_8) == (4, 8)
    numbers = [n for n in range(40) if hb.bracket_of(n) == bracket_4_8]
    winner, loser = numbers[0], numbers[1]

    def objective(trial: tuningfork.Trial) -> float:
        # the winner has the best curve, the loser the worst; others in between
        quality = {winner: 0.0, loser: 10.0}.get(trial.number, 5.0)
        value = math.nan
        for step in range(9):
            value = quality + 1.0 / (step + 1)
            trial.report(step, value)
            if trial.should_stop():
                raise tuningfork.TrialPruned()
        return value

    study = tuningfork.create_study(scheduler=hb, seed=0)
    study.optimize(objective, n_trials=loser + 1)
    won = study.trials[winner]
    assert won.state is COMPLETE
    assert max(won.intermediate) == 8
    assert sorted(won.intermediate) == list(range(9))
    lost = study.trials[loser]
    assert lost.state is PRUNED
    assert max(lost.intermediate) == 4


# -- the median rule -------------------------------------------------------------------------
def test_median_warmup_0_stops_at_step_0_a_trial_worse_than_two_peers() -> None:
    peers = (rec(0, {0: 1.0}), rec(1, {0: 2.0}))
    assert decide(MedianStopping(warmup_steps=0), rec(2, {0: 3.0}, RUNNING), *peers) is S
    assert decide(MedianStopping(warmup_steps=0), rec(2, {0: 1.2}, RUNNING), *peers) is C


def test_median_in_a_study_stops_at_step_0() -> None:
    values = iter([1.0, 2.0, 3.0])

    def objective(trial: tuningfork.Trial) -> float:
        value = next(values)
        trial.report(0, value)
        if trial.should_stop():
            raise tuningfork.TrialPruned()
        return value

    study = tuningfork.create_study(scheduler=MedianStopping(warmup_steps=0), seed=0)
    study.optimize(objective, n_trials=3)
    assert [t.state for t in study.trials] == [COMPLETE, COMPLETE, PRUNED]
    assert study.trials[2].intermediate == {0: 3.0}


def test_median_min_2_peers_a_trial_alone_at_a_step_is_not_stopped() -> None:
    # the peers reported steps 0 and 1 only: at step 5 the trial is alone
    peers = (rec(0, {0: 1.0, 1: 1.0}), rec(1, {0: 2.0, 1: 2.0}))
    trial = rec(2, {0: 1.5, 5: 100.0}, RUNNING)
    assert decide(MedianStopping(min_peers=2), trial, *peers) is C
    # one peer at the step is still too few
    peers = (rec(0, {0: 1.0, 5: 1.0}), rec(1, {0: 2.0}))
    assert decide(MedianStopping(min_peers=2), trial, *peers) is C
    # alone in the whole study
    assert decide(MedianStopping(min_peers=2), rec(0, {0: 1e9}, RUNNING)) is C


# -- rungs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("scheduler", [ASHA(1, 9), SuccessiveHalving(1, 9)])
def test_a_report_that_jumps_past_a_rung_is_decided_at_once(scheduler: object) -> None:
    # rungs (1, 3, 9): the report at step 7 reaches rung 3 and is judged there, with the value
    # of step 7 (its first report at or beyond 3)
    peers = [rec(i, {1: 1.0, 3: 1.0}) for i in range(3)]
    assert decide(scheduler, rec(9, {1: 1.0, 7: 5.0}, RUNNING), *peers) is S
    assert decide(scheduler, rec(9, {1: 1.0, 7: 0.5}, RUNNING), *peers) is C


def test_a_jump_past_a_rung_in_a_study_stops_right_at_that_report() -> None:
    def objective(trial: tuningfork.Trial) -> float:
        bad = trial.number == 3
        trial.report(1, 1.0)
        if trial.should_stop():
            raise tuningfork.TrialPruned()
        for step in (7, 8, 9):
            trial.report(step, 5.0 if bad else 1.0)
            if trial.should_stop():
                raise tuningfork.TrialPruned()
        return 5.0 if bad else 1.0

    study = tuningfork.create_study(scheduler=ASHA(1, 9), seed=0)
    study.optimize(objective, n_trials=4)
    bad = study.trials[3]
    assert bad.state is PRUNED
    assert sorted(bad.intermediate) == [1, 7]


@pytest.mark.parametrize("scheduler", [ASHA(1, 9), SuccessiveHalving(1, 9), Hyperband(1, 9)])
@pytest.mark.parametrize("peer_values", [[], [NAN], [NAN, NAN], [50.0, 60.0, 70.0]])
def test_a_trial_that_reported_only_nan_is_never_promoted(
    scheduler: object, peer_values: list[float]
) -> None:
    # number 0 is in Hyperband's most aggressive bracket (from rung 1), like ASHA
    peers = [rec(10 + i, {1: v}) for i, v in enumerate(peer_values)]
    assert decide(scheduler, rec(0, {0: NAN, 1: NAN}, RUNNING), *peers) is S
    # a NaN at the rung is not promoted even when earlier values were numbers
    assert decide(scheduler, rec(0, {0: 1.0, 1: NAN}, RUNNING), *peers) is S


def test_a_failed_trial_is_never_promoted() -> None:
    """A trial that fails after reaching a rung stays FAILED with the steps it reported, and
    still counts as a peer that reached the rung with its value."""

    def objective(trial: tuningfork.Trial) -> float:
        for step in range(9):
            trial.report(step, 0.0 if trial.number == 0 else 1.0)
            if trial.should_stop():
                raise tuningfork.TrialPruned()
            if trial.number == 0 and step == 1:
                raise RuntimeError("the GPU caught fire")
        return 1.0

    study = tuningfork.create_study(scheduler=ASHA(1, 9), seed=0)
    study.optimize(objective, n_trials=3, stop_if_first_failed=None)
    failed, second, third = study.trials
    assert failed.state is FAILED
    assert sorted(failed.intermediate) == [0, 1]
    # the failed trial (0.0 at rung 1) is better than trial 1 (1.0): with n=2, keep 1
    assert second.state is PRUNED and max(second.intermediate) == 1
    assert third.state is PRUNED and max(third.intermediate) == 1


# -- a script stopped by the scheduler -------------------------------------------------------
SCRIPT = """\
import json, os, sys, time
x = float(sys.argv[1])
with open(os.path.join(sys.argv[2], f"pid-{os.environ['TUNINGFORK_TRIAL_NUMBER']}"), "w") as f:
    f.write(str(os.getpid()))
for step in range(40):
    print(json.dumps({"step": step, "loss": x + 1.0 / (step + 1)}), flush=True)
    time.sleep(0.01)
print(json.dumps({"loss": x}))
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_a_script_with_bad_intermediate_values_is_stopped_and_its_process_is_gone(
    tmp_path: Path,
) -> None:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    objective = CommandObjective(
        f"{{python}} {script} {{x}} {tmp_path}",
        "loss",
        space={"x": {"type": "float", "low": 0.0, "high": 10.0}},
        log_dir=tmp_path / "logs",
        grace_period=1.0,
    )
    study = tuningfork.create_study(scheduler=MedianStopping(warmup_steps=2), seed=0)
    study.enqueue({"x": 0.0})
    study.enqueue({"x": 1.0})
    # the third one is bad: worse than the median of two finished peers from step 2 on
    study.enqueue({"x": 9.0})
    started = time.monotonic()
    study.optimize(objective, n_trials=3)
    good1, good2, bad = study.trials
    assert good1.state is COMPLETE and good2.state is COMPLETE
    assert bad.state is PRUNED
    assert max(bad.intermediate) == 2
    assert bad.values == (9.0 + 1.0 / 3,)
    pid = int((tmp_path / "pid-2").read_text())
    assert not _alive(pid)
    assert time.monotonic() - started < 60
    assert sys.executable  # the script ran with this interpreter ({python})


CLI_SCRIPT = """\
import json, os, sys, time
number = int(sys.argv[1])
with open(f"pid-{number}", "w") as f:
    f.write(str(os.getpid()))
offset = 9.0 if number == 2 else float(number)  # trial 2 is bad from its first step
for step in range(40):
    print(json.dumps({"step": step, "loss": offset + 1.0 / (step + 1)}), flush=True)
    time.sleep(0.01)
print(json.dumps({"loss": offset}))
"""

CLI_CONFIG = """\
[study]
name = "stopping"
seed = 0

[objective]
command = "{python} train.py {trial_number} --x {x}"
metric = "loss"
grace_period = 1.0

[scheduler]
type = "median"
warmup_steps = 2

[run]
n_trials = 3

[space]
x = { type = "float", low = 0.0, high = 1.0 }
"""


@pytest.mark.slow
def test_the_cli_stops_a_bad_script_trial_and_its_process_is_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tuningfork.cli import main

    (tmp_path / "train.py").write_text(
        CLI_SCRIPT,
        encoding="utf-8",
    )
    (tmp_path / "tune.toml").write_text(CLI_CONFIG, encoding="utf-8")
    assert main(["run", str(tmp_path / "tune.toml"), "--no-progress"]) == 0
    capsys.readouterr()
    study = tuningfork.load_study("stopping", f"sqlite:///{tmp_path / 'tuningfork.db'}")
    try:
        states = [t.state for t in study.trials]
        bad = study.trials[2]
    finally:
        study.storage.close()
    assert states == [COMPLETE, COMPLETE, PRUNED]
    assert max(bad.intermediate) == 2  # stopped at the first step after the warm-up
    pid = int((tmp_path / "pid-2").read_text())
    assert not _alive(pid)
