"""Exact decisions of every scheduler on hand-built histories."""

from __future__ import annotations

import math
import pickle
from collections.abc import Mapping, Sequence

import pytest

import tuningfork
from tuningfork import Decision, Direction, TrialRecord, TrialState
from tuningfork._core.history import History
from tuningfork.schedulers import (
    ASHA,
    Hyperband,
    MedianStopping,
    Patience,
    Scheduler,
    SuccessiveHalving,
    Threshold,
)

NAN = math.nan
C, S = Decision.CONTINUE, Decision.STOP
RUNNING, COMPLETE, PRUNED, FAILED = (
    TrialState.RUNNING,
    TrialState.COMPLETE,
    TrialState.PRUNED,
    TrialState.FAILED,
)


def rec(
    number: int, curve: Mapping[int, float] | Sequence[float], state: TrialState = COMPLETE
) -> TrialRecord:
    """A trial with intermediate values ``curve`` (a list means steps 0, 1, 2, ...)."""
    values = dict(curve) if isinstance(curve, Mapping) else dict(enumerate(curve))
    return TrialRecord(number=number, state=state, seed=0, intermediate=values)


def hist(*records: TrialRecord, direction: str = "minimize") -> History:
    return History([Direction.parse(direction)], records)


def decide(
    scheduler: Scheduler,
    curve: Mapping[int, float] | Sequence[float],
    *peers: TrialRecord,
    number: int = 99,
    direction: str = "minimize",
) -> Decision:
    trial = rec(number, curve, RUNNING)
    return scheduler.decide(trial, hist(*peers, trial, direction=direction))


# -- exports and arguments -------------------------------------------------------------------
def test_public_names() -> None:
    assert sorted(tuningfork.schedulers.__all__) == [
        "ASHA",
        "Hyperband",
        "MedianStopping",
        "Patience",
        "Scheduler",
        "SuccessiveHalving",
        "Threshold",
    ]


@pytest.mark.parametrize(
    ("scheduler", "described"),
    [
        (MedianStopping(), {"name": "MedianStopping", "warmup_steps": 0, "min_peers": 2}),
        (Patience(3, 0.5), {"name": "Patience", "patience": 3, "min_delta": 0.5}),
        (Threshold(upper=2), {"name": "Threshold", "lower": None, "upper": 2.0}),
        (
            ASHA(1, 81),
            {"name": "ASHA", "min_resource": 1, "max_resource": 81, "reduction_factor": 3},
        ),
        (
            SuccessiveHalving(2, 32, 2),
            {
                "name": "SuccessiveHalving",
                "min_resource": 2,
                "max_resource": 32,
                "reduction_factor": 2,
            },
        ),
        (
            Hyperband(1, 27),
            {"name": "Hyperband", "min_resource": 1, "max_resource": 27, "reduction_factor": 3},
        ),
    ],
)
def test_describe(scheduler: Scheduler, described: dict[str, object]) -> None:
    assert scheduler.describe() == described
    # picklable (process executors), and the memo caches do not travel
    copy = pickle.loads(pickle.dumps(scheduler))
    assert copy.describe() == described


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MedianStopping(warmup_steps=-1), r"warmup_steps must be an int >= 0, got -1"),
        (lambda: MedianStopping(min_peers=0), r"min_peers must be an int >= 1, got 0"),
        (
            lambda: MedianStopping(min_peers=1.5),  # type: ignore[arg-type]
            r"min_peers must be an int >= 1, got 1.5 of type float",
        ),
        (lambda: Patience(0), r"patience must be an int >= 1, got 0"),
        (
            lambda: Patience(2, min_delta=-0.1),
            r"min_delta must be a finite number >= 0.0, got -0.1",
        ),
        (lambda: Patience(2, min_delta=NAN), r"min_delta must be a finite number >= 0.0, got nan"),
        (lambda: Threshold(), r"Threshold needs lower, upper or both; got neither"),
        (lambda: Threshold(lower=2, upper=1), r"lower must be <= upper \(1.0\), got lower=2.0"),
        (
            lambda: Threshold(upper="1"),  # type: ignore[arg-type]
            r"upper must be a finite number or None, got '1' of type str",
        ),
        (lambda: ASHA(0, 81), r"min_resource must be an int >= 1, got 0"),
        (lambda: ASHA(1, 81, 1), r"reduction_factor must be an int >= 2, got 1"),
        (lambda: SuccessiveHalving(10, 5), r"max_resource must be >= min_resource \(10\), got 5"),
        (
            lambda: Hyperband(1, 81.0),  # type: ignore[arg-type]
            r"max_resource must be an int >= 1, got 81.0 of type float",
        ),
    ],
)
def test_invalid_arguments(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    "scheduler",
    [MedianStopping(), Patience(2), ASHA(1, 9), SuccessiveHalving(1, 9), Hyperband(1, 9)],
)
def test_multi_objective_is_a_clear_error(scheduler: Scheduler) -> None:
    trial = rec(0, [1.0, 2.0], RUNNING)
    history = History([Direction.MINIMIZE, Direction.MAXIMIZE], [trial])
    with pytest.raises(ValueError, match=r"needs a single-objective study .* 2 objectives"):
        scheduler.decide(trial, history)


@pytest.mark.parametrize(
    "scheduler",
    [MedianStopping(), Patience(1), Threshold(upper=1.0), ASHA(1, 9), Hyperband(1, 9)],
)
def test_no_reports_continue(scheduler: Scheduler) -> None:
    assert decide(scheduler, {}, rec(0, [5.0, 5.0, 5.0])) is C


# -- MedianStopping --------------------------------------------------------------------------
PEERS = (rec(0, [1.0, 1.0, 1.0]), rec(1, [2.0, 2.0, 2.0]), rec(2, [3.0, 3.0, 3.0]))


@pytest.mark.parametrize(
    ("curve", "expected"),
    [
        ([2.5], S),  # 2.5 > median 2
        ([2.0], C),  # equal to the median: not strictly worse
        ([1.5], C),
        ([9.0, 1.0], C),  # best so far (1.0) counts, not the latest value
        ([9.0, 2.5, 9.0], S),
        ([NAN], S),  # NaN is worse than any numeric median
        ({0: 9.0, 2: 1.5}, C),
    ],
)
def test_median_rule(curve: Sequence[float] | dict[int, float], expected: Decision) -> None:
    assert decide(MedianStopping(), curve, *PEERS) is expected


def test_median_peers_use_their_best_so_far() -> None:
    # peer 0 got worse later: its best up to step 1 is 1.0, not 9.0
    peers = (rec(0, [1.0, 9.0]), rec(1, [2.0, 2.0]), rec(2, [3.0, 3.0]))
    assert decide(MedianStopping(), [2.0, 2.0], *peers) is C
    assert decide(MedianStopping(), [2.5, 2.5], *peers) is S


def test_median_maximize() -> None:
    assert decide(MedianStopping(), [2.5], *PEERS, direction="maximize") is C
    assert decide(MedianStopping(), [1.5], *PEERS, direction="maximize") is S
    assert decide(MedianStopping(), [NAN], *PEERS, direction="maximize") is S


@pytest.mark.parametrize(("warmup", "stop_from"), [(0, 0), (1, 1), (3, 3)])
def test_median_warmup(warmup: int, stop_from: int) -> None:
    scheduler = MedianStopping(warmup_steps=warmup)
    peers = [rec(i, [float(i)] * 6) for i in range(3)]
    for t in range(6):
        expected = S if t >= stop_from else C
        assert decide(scheduler, [5.0] * (t + 1), *peers) is expected, t


@pytest.mark.parametrize(("min_peers", "expected"), [(1, S), (2, S), (3, C)])
def test_median_min_peers(min_peers: int, expected: Decision) -> None:
    # two finished peers reported step 1; the running one and the failed one do not count,
    # nor does the one that never reached step 1
    peers = (
        rec(0, [1.0, 1.0]),
        rec(1, [2.0, 2.0], PRUNED),
        rec(2, [0.0, 0.0], RUNNING),
        rec(3, [0.0, 0.0], FAILED),
        rec(4, [0.0]),
    )
    assert decide(MedianStopping(min_peers=min_peers), [5.0, 5.0], *peers) is expected


def test_median_nan_peers_rank_last() -> None:
    peers = (rec(0, [1.0]), rec(1, [NAN]), rec(2, [NAN]))
    # median of (1, NaN, NaN) with NaN last is NaN: nothing is worse
    assert decide(MedianStopping(), [100.0], *peers) is C
    peers = (rec(0, [1.0]), rec(1, [2.0]), rec(2, [NAN]))
    assert decide(MedianStopping(), [2.5], *peers) is S  # median 2.0
    assert decide(MedianStopping(), [1.5], *peers) is C


# -- Patience --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("patience", "min_delta", "curve", "expected"),
    [
        (2, 0.0, [5.0, 4.0], C),
        (2, 0.0, [5.0, 4.0, 4.5], C),
        (2, 0.0, [5.0, 4.0, 4.5, 4.2], S),
        (2, 0.0, [5.0, 4.0, 4.0, 4.0], S),  # equal is not an improvement
        (2, 0.0, [5.0, 4.0, 4.5, 3.9], C),
        (1, 0.0, [5.0, 5.0], S),
        (1, 0.0, [5.0], C),
        (2, 0.5, [5.0, 4.6, 4.55], S),  # neither beats best - 0.5 = 4.5
        (2, 0.5, [5.0, 4.6, 4.4], C),  # 4.4 < 5.0 - 0.5
        (2, 0.0, [5.0, NAN, NAN], S),  # NaN never improves
        (2, 0.0, [NAN, NAN, 3.0], C),  # a number improves on a NaN start
        (2, 0.0, {0: 5.0, 10: 4.0, 20: 4.5}, C),  # reports, not steps, are counted
    ],
)
def test_patience(
    patience: int,
    min_delta: float,
    curve: Sequence[float] | dict[int, float],
    expected: Decision,
) -> None:
    assert decide(Patience(patience, min_delta), curve) is expected


def test_patience_maximize() -> None:
    assert decide(Patience(2), [1.0, 2.0, 1.5, 1.8], direction="maximize") is S
    assert decide(Patience(2), [1.0, 2.0, 1.5, 2.1], direction="maximize") is C


# -- Threshold -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lower", "upper", "curve", "expected"),
    [
        (None, 10.0, [1.0, 10.0], C),
        (None, 10.0, [1.0, 10.5], S),
        (None, 10.0, [11.0, 1.0], C),  # only the latest report counts
        (0.5, None, [1.0, 0.4], S),
        (0.5, 2.0, [1.0], C),
        (0.5, 2.0, [NAN], S),
        (0.5, 2.0, {3: 1.0, 1: 9.0}, C),  # the latest *step*, whatever the report order
    ],
)
def test_threshold(
    lower: float | None,
    upper: float | None,
    curve: Sequence[float] | dict[int, float],
    expected: Decision,
) -> None:
    assert decide(Threshold(lower, upper), curve) is expected


def test_threshold_works_for_multi_objective() -> None:
    trial = rec(0, [1.0, 20.0], RUNNING)
    history = History([Direction.MINIMIZE, Direction.MINIMIZE], [trial])
    assert Threshold(upper=10.0).decide(trial, history) is S


# -- ASHA / successive halving ---------------------------------------------------------------
def at_rung(number: int, value: float, step: int = 1, state: TrialState = COMPLETE) -> TrialRecord:
    """A trial that reported ``value`` at ``step`` (after a dummy report at step 0)."""
    return rec(number, {0: 100.0, step: value}, state)


@pytest.mark.parametrize(
    ("peer_values", "own", "expected"),
    [
        ([], 5.0, C),  # alone at the rung: top 1 of 1
        ([1.0], 5.0, S),  # 1 better of n=2: 1*3 >= 2
        ([9.0], 5.0, C),
        ([1.0, 9.0], 5.0, S),  # n=3 keeps 1
        ([1.0, 9.0, 9.0], 5.0, C),  # n=4 keeps ceil(4/3) = 2: one better
        ([1.0, 2.0, 9.0], 5.0, S),
        ([1.0, 2.0, 9.0, 9.0, 9.0], 5.0, S),  # n=6 keeps 2: two better
        ([1.0, 2.0, 9.0, 9.0, 9.0, 9.0], 5.0, C),  # n=7 keeps ceil(7/3) = 3
        ([5.0, 5.0, 5.0], 5.0, C),  # ties do not count against
        ([NAN, NAN], 5.0, C),  # NaN ranks last
        ([1.0], NAN, S),
        ([NAN], NAN, S),  # a NaN at a rung is never promoted
        ([], NAN, S),
    ],
)
def test_asha_top_fraction(peer_values: list[float], own: float, expected: Decision) -> None:
    peers = [at_rung(i, v) for i, v in enumerate(peer_values)]
    assert decide(ASHA(1, 9), {0: 100.0, 1: own}, *peers) is expected


def test_asha_maximize() -> None:
    peers = [at_rung(0, 1.0), at_rung(1, 9.0)]
    assert decide(ASHA(1, 9), {0: 0.0, 1: 5.0}, *peers, direction="maximize") is S
    assert decide(ASHA(1, 9), {0: 0.0, 1: 10.0}, *peers, direction="maximize") is C
    assert decide(ASHA(1, 9), {0: 0.0, 1: NAN}, *peers, direction="maximize") is S


def test_asha_rung_value_is_the_first_report_at_or_beyond_the_rung() -> None:
    # rungs (1, 3, 9); reports need not be contiguous: step 5 reaches rung 3
    peers = [rec(0, {0: 9.0, 5: 1.0}), rec(1, {0: 9.0, 4: 2.0, 6: 0.0})]
    # trial 1's value at rung 3 is 2.0 (step 4), not 0.0 (step 6)
    assert decide(ASHA(1, 9), {0: 9.0, 3: 1.5}, *peers) is S  # 1 better of n=3
    assert decide(ASHA(1, 9), {0: 9.0, 3: 0.5}, *peers) is C


def test_asha_checks_a_rung_once_at_the_report_that_reaches_it() -> None:
    peers = [at_rung(i, 1.0) for i in range(5)]
    assert decide(ASHA(1, 9), {0: 100.0, 1: 5.0}, *peers) is S
    # step 2 is still in rung 1's window, but the rung was decided at step 1
    assert decide(ASHA(1, 9), {0: 100.0, 1: 5.0, 2: 5.0}, *peers) is C
    # successive halving re-checks it until the next rung
    assert decide(SuccessiveHalving(1, 9), {0: 100.0, 1: 5.0, 2: 5.0}, *peers) is S


def test_below_the_first_rung_and_at_the_max_resource_never_stop() -> None:
    peers = [rec(i, [0.0] * 10) for i in range(5)]
    for scheduler in (ASHA(1, 9), SuccessiveHalving(1, 9), ASHA(2, 9), Hyperband(1, 9)):
        assert decide(scheduler, [5.0], *peers, number=0) is C  # step 0 < first rung
        assert decide(scheduler, [5.0] * 10, *peers, number=0) is C  # step 9 = R
        assert decide(scheduler, {0: 5.0, 50: 5.0}, *peers, number=0) is C  # beyond R


def test_asha_asynchronous_arrivals() -> None:
    """Trials reach rung 1 one after another; each is judged against those there before it,
    and a promotion is not revoked when better trials arrive later."""
    asha, sh = ASHA(1, 9), SuccessiveHalving(1, 9)
    arrivals = [(0, 5.0), (1, 6.0), (2, 4.0), (3, 7.0), (4, 3.0), (5, 4.5)]
    # n at arrival:     1 (keep 1)  2 (keep 1)  3 (keep 1)  4 (keep 2)  5 (keep 2)  6 (keep 2)
    expected = [C, S, C, S, C, S]
    seen: list[TrialRecord] = []
    for (number, value), want in zip(arrivals, expected, strict=True):
        trial = rec(number, {0: 50.0, 1: value}, RUNNING)
        history = hist(*seen, trial)
        assert asha.decide(trial, history) is want, number
        assert sh.decide(trial, history) is want, number  # at the crossing they agree
        state = RUNNING if want is C else PRUNED
        seen.append(rec(number, {0: 50.0, 1: value}, state))
    # trial 0 (5.0) went on and is now at step 2; three trials that reached rung 1 later are
    # better (4.0, 3.0, 4.5): of n=6, keep 2. ASHA keeps it, successive halving stops it
    trial0 = rec(0, {0: 50.0, 1: 5.0, 2: 4.0}, RUNNING)
    history = hist(*seen[1:], trial0)
    assert asha.decide(trial0, history) is C
    assert sh.decide(trial0, history) is S
    # trial 4 (3.0, the best) is kept by both
    trial4 = rec(4, {0: 50.0, 1: 3.0, 2: 3.0}, RUNNING)
    history = hist(*[t for t in seen if t.number != 4], trial4)
    assert asha.decide(trial4, history) is C
    assert sh.decide(trial4, history) is C


def test_the_history_copy_of_the_trial_may_be_stale() -> None:
    # the scheduler reads the trial's own values from `trial`, and its peers from history;
    # the history's older copy of the same trial is not a peer
    peers = [at_rung(0, 1.0), at_rung(1, 9.0), at_rung(2, 9.0)]
    fresh = rec(3, {0: 100.0, 1: 5.0}, RUNNING)
    stale = rec(3, {0: 100.0}, RUNNING)
    assert ASHA(1, 9).decide(fresh, hist(*peers, stale)) is C  # n=4, one better
    assert ASHA(1, 9).decide(fresh, hist(*peers, fresh)) is C
    assert ASHA(1, 9).decide(fresh, hist(*peers)) is C


def test_decisions_do_not_depend_on_call_order() -> None:
    peers = [at_rung(i, float(i)) for i in range(6)]
    trials = [rec(10 + i, {0: 100.0, 1: v}, RUNNING) for i, v in enumerate([0.5, 3.5, 9.0])]
    history = hist(*peers, *trials)
    fresh = [ASHA(1, 9).decide(t, history) for t in trials]
    shared = ASHA(1, 9)
    forward = [shared.decide(t, history) for t in trials]
    backward = [shared.decide(t, history) for t in reversed(trials)][::-1]
    assert fresh == forward == backward == [C, S, S]


# -- Hyperband -------------------------------------------------------------------------------
def test_hyperband_compares_within_a_bracket_from_its_first_rung() -> None:
    hb = Hyperband(1, 9)  # rungs (1, 3, 9); brackets 2, 1, 0
    numbers = {s: [n for n in range(60) if hb.bracket_of(n) == s] for s in range(3)}
    assert hb.n_brackets == 3
    # one cycle of 9 + 5 + 3 numbers (n_2, n_1, n_0)
    assert [hb.bracket_of(n) for n in range(17)] == [
        2,
        1,
        2,
        0,
        2,
        1,
        2,
        0,
        2,
        1,
        2,
        1,
        2,
        0,
        2,
        1,
        2,
    ]
    b2, b1, b0 = numbers[2], numbers[1], numbers[0]
    curve = {0: 50.0, 1: 5.0, 3: 5.0}
    good = {0: 0.0, 1: 0.0, 3: 0.0}
    # bracket 2 (from rung 1): two better peers of the same bracket -> stop at rung 1
    trial = rec(b2[0], {0: 50.0, 1: 5.0}, RUNNING)
    assert hb.decide(trial, hist(rec(b2[1], good), rec(b2[2], good), trial)) is S
    # ... better peers of another bracket do not count
    assert hb.decide(trial, hist(rec(b1[0], good), rec(b0[0], good), trial)) is C
    # bracket 1 starts at rung 3: nothing happens at rung 1, the check is at step 3
    trial = rec(b1[0], {0: 50.0, 1: 5.0}, RUNNING)
    assert hb.decide(trial, hist(rec(b1[1], good), rec(b1[2], good), trial)) is C
    trial = rec(b1[0], curve, RUNNING)
    assert hb.decide(trial, hist(rec(b1[1], good), rec(b1[2], good), trial)) is S
    # bracket 0 never stops
    trial = rec(b0[0], curve, RUNNING)
    assert hb.decide(trial, hist(rec(b0[1], good), rec(b0[2], good), trial)) is C
