import math

import pytest

from tuningfork.schedulers._rungs import (
    RungSchedule,
    bracket_cycle,
    max_bracket,
    rung_of,
    rung_resources,
)


@pytest.mark.parametrize(
    ("r", "big_r", "eta", "rungs"),
    [
        (1, 81, 3, (1, 3, 9, 27, 81)),
        # not a power: the remainder goes to the last gap (27 -> 100), no 81 rung
        (1, 100, 3, (1, 3, 9, 27, 100)),
        (1, 80, 3, (1, 3, 9, 80)),
        (1, 243, 3, (1, 3, 9, 27, 81, 243)),
        (2, 100, 2, (2, 4, 8, 16, 32, 100)),
        (3, 30, 3, (3, 9, 30)),
        (1, 1, 2, (1,)),
        (1, 2, 3, (2,)),  # R < r * eta: one rung, nothing is ever stopped
        (5, 5, 3, (5,)),
        (1, 27, 3, (1, 3, 9, 27)),
    ],
)
def test_rung_resources(r: int, big_r: int, eta: int, rungs: tuple[int, ...]) -> None:
    assert rung_resources(r, big_r, eta) == rungs
    assert max_bracket(r, big_r, eta) == len(rungs) - 1
    assert rungs[-1] == big_r


@pytest.mark.parametrize(
    ("r", "big_r", "eta", "s_max"),
    [
        (1, 243, 3, 5),  # math.log(243, 3) == 4.999... would give 4
        (1, 242, 3, 4),
        (1, 3**20, 3, 20),
        (1, 3**20 - 1, 3, 19),
        (1, 1000, 10, 3),  # math.log(1000, 10) == 2.9999999999999996
        (7, 7 * 2**30, 2, 30),
    ],
)
def test_s_max_is_exact(r: int, big_r: int, eta: int, s_max: int) -> None:
    assert max_bracket(r, big_r, eta) == s_max


def test_float_log_would_be_wrong() -> None:
    # the reason for integer arithmetic, pinned
    assert math.floor(math.log(243, 3)) == 4
    assert max_bracket(1, 243, 3) == 5


@pytest.mark.parametrize(
    ("step", "index"),
    [(0, -1), (1, 0), (2, 0), (3, 1), (8, 1), (9, 2), (26, 2), (27, 3), (80, 3), (81, 4), (500, 4)],
)
def test_rung_of(step: int, index: int) -> None:
    assert rung_of(step, (1, 3, 9, 27, 81)) == index


def test_hyperband_brackets_match_the_papers_table() -> None:
    # Li et al. 2018, Table 1 (R=81, eta=3): n_i and r_i for s = 4, 3, 2, 1, 0
    schedule = RungSchedule(1, 81, 3)
    assert schedule.n_brackets == 5
    table = {
        4: ((81, 27, 9, 3, 1), (1, 3, 9, 27, 81)),
        3: ((34, 11, 3, 1), (3, 9, 27, 81)),
        2: ((15, 5, 1), (9, 27, 81)),
        1: ((8, 2), (27, 81)),
        0: ((5,), (81,)),
    }
    for s, (counts, resources) in table.items():
        assert schedule.bracket_counts(s) == counts
        assert schedule.bracket_rungs(s) == resources
        assert schedule.bracket_min_resource(s) == resources[0]
        assert schedule.bracket_size(s) == counts[0]
    assert schedule.bracket_sizes == (5, 8, 15, 34, 81)


def test_bracket_of_trial_is_weighted_and_interleaved() -> None:
    schedule = RungSchedule(1, 81, 3)
    first = [schedule.bracket_of_trial(n) for n in range(143)]
    # each cycle of sum(n_s) = 143 numbers holds n_s trials of bracket s
    assert [first.count(s) for s in range(5)] == [5, 8, 15, 34, 81]
    # interleaved, most aggressive first
    assert first[:13] == [4, 3, 4, 2, 4, 3, 4, 4, 1, 4, 3, 4, 0]
    # and periodic
    assert [schedule.bracket_of_trial(n + 143) for n in range(143)] == first
    # every bracket shows up early, not only after 81 trials of bracket 4
    assert set(first[:20]) == {0, 1, 2, 3, 4}


def test_bracket_cycle() -> None:
    assert bracket_cycle((1, 1)) == bytes([1, 0])
    assert bracket_cycle((1, 3)) == bytes([1, 1, 0, 1])
    assert bracket_cycle((2,)) == bytes([0, 0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 81, 3), r"min_resource must be an int >= 1, got 0"),
        ((1.0, 81, 3), r"min_resource must be an int >= 1, got 1.0 of type float"),
        ((1, 81, 1), r"reduction_factor must be an int >= 2, got 1"),
        ((1, 81, True), r"reduction_factor must be an int >= 2, got True of type bool"),
        ((9, 3, 3), r"max_resource must be >= min_resource \(9\), got 3"),
    ],
)
def test_invalid_schedules(args: tuple[object, object, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RungSchedule(*args)  # type: ignore[arg-type]


def test_bracket_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"bracket s must be in \[0, 4\], got 5"):
        RungSchedule(1, 81, 3).bracket_rungs(5)
    with pytest.raises(ValueError, match=r"trial number must be an int >= 0, got -1"):
        RungSchedule(1, 81, 3).bracket_of_trial(-1)
