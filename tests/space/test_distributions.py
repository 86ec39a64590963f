from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from tuningfork import Categorical, Float, Int, SearchSpace, SpaceError
from tuningfork.space import space_from_spec


# -- stepped floats ------------------------------------------------------------------------
def test_float_step_points_are_exact_decimals() -> None:
    dist = Float(0.8, 1.0, step=0.1)
    assert dist.points() == [0.8, 0.9, 1.0]
    assert dist.n_points == 3
    assert dist.upper == 1.0
    assert dist.warnings() == []
    for u in np.linspace(0, 1, 101):
        assert dist.from_unit(u) in (0.8, 0.9, 1.0)
    assert {dist.from_unit(u) for u in np.linspace(0, 1, 101)} == {0.8, 0.9, 1.0}


def test_float_step_not_dividing_range_ends_below_high() -> None:
    dist = Float(0, 1, step=0.3)
    assert dist.points() == [0.0, 0.3, 0.6, 0.9]
    assert dist.upper == 0.9
    assert dist.from_unit(1.0) == 0.9
    assert dist.warnings() == [
        "high=1.0 is not low + k * step (step=0.3); the largest value will be 0.9"
    ]


def test_float_step_warning_names_the_parameter_in_a_space() -> None:
    with pytest.warns(UserWarning, match=r"parameter 'x': high=1.0 .*largest value will be 0.9"):
        SearchSpace({"x": Float(0, 1, step=0.3)})


def test_float_step_warning_names_the_parameter_in_a_dict_spec() -> None:
    with pytest.warns(UserWarning, match=r"parameter 'lr': .*largest value will be 0.9"):
        space_from_spec({"lr": {"type": "float", "low": 0, "high": 1, "step": 0.3}})


def test_no_warning_when_step_divides_range() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SearchSpace({"x": Float(0.8, 1.0, step=0.1), "n": Int(0, 10, step=5)})


def test_int_step_not_dividing_range_warns_and_ends_below_high() -> None:
    dist = Int(0, 10, step=3)
    assert dist.points() == [0, 3, 6, 9]
    assert dist.upper == 9
    with pytest.warns(UserWarning, match=r"parameter 'n': high=10 .*largest value will be 9"):
        SearchSpace({"n": dist})


# -- zero-width ranges -------------------------------------------------------------------
ZERO_WIDTH = [
    (Float(2.5, 2.5), 2.5),
    (Float(2.5, 2.5, log=True), 2.5),
    (Float(2.5, 2.5, step=0.5), 2.5),
    (Float(0.0, 0.0), 0.0),
    (Int(3, 3), 3),
    (Int(3, 3, log=True), 3),
    (Int(3, 3, step=2), 3),
    (Categorical(["only"]), "only"),
]


@pytest.mark.parametrize(("dist", "value"), ZERO_WIDTH, ids=repr)
def test_zero_width_domain_has_exactly_one_value(dist: object, value: object) -> None:
    assert dist.n_points == 1  # type: ignore[attr-defined]
    assert dist.points() == [value]  # type: ignore[attr-defined]
    assert dist.single_value() == value  # type: ignore[attr-defined]
    for u in (0.0, 0.25, 0.5, 1.0, -3.0, 7.0, float("nan")):
        out = dist.from_unit(u)  # type: ignore[attr-defined]
        assert out == value
        assert type(out) is type(value)
    # the unit-cube transform round-trips with ==
    assert dist.from_unit(dist.to_unit(value)) == value  # type: ignore[attr-defined]
    assert dist.contains(value)  # type: ignore[attr-defined]


# -- unit cube ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "dist",
    [
        Int(1, 1000, log=True),
        Int(-7, 20, step=3),
        Int(0, 9),
        Float(0.8, 1.0, step=0.1),
        Float(-1, 1, step=0.25),
        Categorical(["a", "b", "c"]),
    ],
    ids=repr,
)
def test_finite_domains_round_trip_every_point(dist: object) -> None:
    for point in dist.points():  # type: ignore[attr-defined]
        assert dist.from_unit(dist.to_unit(point)) == point  # type: ignore[attr-defined]


def test_finite_bins_have_equal_width() -> None:
    dist = Int(0, 3)
    assert [dist.to_unit(v) for v in range(4)] == [0.125, 0.375, 0.625, 0.875]
    assert [dist.from_unit(u) for u in (0.0, 0.249, 0.25, 0.5, 0.75, 1.0)] == [0, 0, 1, 2, 3, 3]


def test_continuous_float_maps_linearly_and_logarithmically() -> None:
    lin = Float(-2.0, 2.0)
    assert lin.to_unit(-2.0) == 0.0
    assert lin.to_unit(0.0) == 0.5
    assert lin.from_unit(0.75) == 1.0
    log = Float(1e-3, 1e3, log=True)
    assert log.to_unit(1.0) == pytest.approx(0.5, abs=1e-15)
    assert log.from_unit(0.0) == 1e-3
    assert log.from_unit(1.0) == 1e3
    assert lin.n_points is None


def test_from_unit_clips_to_bounds() -> None:
    dist = Float(1.0, 2.0)
    assert dist.from_unit(-0.5) == 1.0
    assert dist.from_unit(1.5) == 2.0
    assert dist.from_unit(float("nan")) == 1.0


# -- categorical ----------------------------------------------------------------------------
MIXED = [None, True, 1, 1.0, "1", (2, 3)]


def test_mixed_type_choices_are_six_distinct_choices() -> None:
    dist = Categorical(MIXED)
    assert dist.n_points == 6
    assert [dist.index(c) for c in MIXED] == [0, 1, 2, 3, 4, 5]
    out = [dist.from_unit((i + 0.5) / 6) for i in range(6)]
    assert [type(v) for v in out] == [type(None), bool, int, float, str, tuple]
    assert out == MIXED
    assert not dist.contains(False)
    assert not dist.contains(0)
    assert not dist.contains([2, 3])  # a list is not the tuple choice
    assert dist.contains((2, 3))


def test_categorical_equality_tells_types_apart() -> None:
    assert Categorical([1, 2]) == Categorical([1, 2])
    assert Categorical([1, 2]) != Categorical([1.0, 2.0])
    assert Categorical([True]) != Categorical([1])
    assert hash(Categorical(["a", (1, 2)])) == hash(Categorical(["a", (1, 2)]))


def test_categorical_rejects_unstorable_choice() -> None:
    with pytest.raises(SpaceError, match=r"choice .*object.* cannot be stored"):
        Categorical([object()])


def test_categorical_rejects_string_as_choices() -> None:
    with pytest.raises(SpaceError, match="must be a list or tuple"):
        Categorical("abc")


# -- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Float(2, 1), r"low=2.0 is greater than high=1.0"),
        (lambda: Float(0, 1, log=True), r"log=True needs low > 0"),
        (lambda: Float(-1, 1, log=True), r"log=True needs low > 0"),
        (lambda: Float(0, 1, step=0), r"step=0.0 must be > 0"),
        (lambda: Float(0, 1, step=-0.1), r"step=-0.1 must be > 0"),
        (lambda: Float(1, 2, log=True, step=0.1), r"step and log=True cannot be combined"),
        (lambda: Float(float("nan"), 1), r"low=nan is not finite"),
        (lambda: Float(0, float("inf")), r"high=inf is not finite"),
        (lambda: Float("0", 1), r"low='0' is not a number"),
        (lambda: Float(True, 2), r"low=True is not a number"),
        (lambda: Int(5, 1), r"low=5 is greater than high=1"),
        (lambda: Int(0, 5, log=True), r"log=True needs low >= 1"),
        (lambda: Int(0, 5, step=0), r"step=0 must be a positive integer"),
        (lambda: Int(1, 5, step=2, log=True), r"cannot be combined"),
        (lambda: Int(0.5, 5), r"low=0.5 is not an integer"),
        (lambda: Categorical([]), r"choices are empty"),
        (lambda: Categorical([1, 1]), r"choice 1 appears twice"),
        (lambda: Categorical([(1, 2), (1, 2)]), r"appears twice"),
    ],
)
def test_invalid_definitions_raise_space_error(make: object, match: str) -> None:
    with pytest.raises(SpaceError, match=match):
        make()  # type: ignore[operator]


def test_int_accepts_integral_floats_and_numpy_ints() -> None:
    dist = Int(np.int64(1), 5.0)  # type: ignore[arg-type]
    assert (dist.low, dist.high) == (1, 5)
    assert type(dist.low) is int and type(dist.high) is int


def test_contains_checks_type_bounds_and_grid() -> None:
    assert Float(0, 1).contains(1)
    assert not Float(0, 1).contains(True)
    assert not Float(0, 1).contains(1.5)
    assert Float(0, 1, step=0.25).contains(0.75)
    assert not Float(0, 1, step=0.25).contains(0.7)
    assert Int(0, 10, step=5).contains(10)
    assert not Int(0, 10, step=5).contains(3)
    assert not Int(0, 10).contains(3.0)
    assert Int(0, 10).contains(np.int32(3))


def test_distributions_are_immutable_values() -> None:
    dist = Float(0, 1)
    with pytest.raises(AttributeError):
        dist.low = 5  # type: ignore[misc]
    assert Float(0, 1) == Float(0.0, 1.0)
    assert hash(Float(0, 1)) == hash(Float(0.0, 1.0))
    assert Int(1, 3) != Int(1, 3, step=2)
    assert repr(Float(1e-3, 1.0, log=True)) == "Float(0.001, 1.0, log=True)"
    assert repr(Int(0, 10, step=5)) == "Int(0, 10, step=5)"


def test_large_step_grid_counts_exactly() -> None:
    dist = Float(0.0, 1.0, step=0.001)
    assert dist.n_points == 1001
    assert dist.points()[-1] == 1.0
    assert dist.points()[137] == 0.137
    assert math.isclose(sum(dist.points()), 500.5)
