from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuningfork import (
    Categorical,
    Conditional,
    ConfigError,
    Float,
    Int,
    SearchSpace,
    SpaceError,
    load_space,
)
from tuningfork.space import (
    decode_value,
    distribution_from_dict,
    distribution_to_dict,
    dumps_distribution,
    dumps_value,
    encode_value,
    loads_distribution,
    loads_value,
    space_from_dict,
    space_from_spec,
    space_to_dict,
)

SVM_SPACE = {
    "model": Categorical(["svm", "tree"]),
    "C": Conditional(Float(1e-3, 1e3, log=True), when={"model": "svm"}),
    "kernel": Conditional(Categorical(["rbf", "poly"]), when={"model": "svm"}),
    "degree": Conditional(Int(2, 4), when={"kernel": "poly"}),
    "depth": Conditional(Int(1, 3), when={"model": ["tree"]}),
}


def test_conditional_space_active_names() -> None:
    space = SearchSpace(SVM_SPACE)
    assert space.is_conditional
    assert space.active_names({"model": "tree"}) == ["model", "depth"]
    assert space.active_names({"model": "svm", "kernel": "rbf"}) == ["model", "C", "kernel"]
    assert space.active_names({"model": "svm", "kernel": "poly"}) == [
        "model",
        "C",
        "kernel",
        "degree",
    ]


def test_conditional_space_counts_active_configurations() -> None:
    space = SearchSpace({k: v for k, v in SVM_SPACE.items() if k != "C"})
    # tree: 3 depths; svm: rbf (1) + poly with 3 degrees
    assert space.n_points == 3 + 1 + 3
    points = list(space.iter_points())
    assert len(points) == 7
    assert {"model": "svm", "kernel": "poly", "degree": 4} in points
    assert {"model": "tree", "depth": 1} in points


def test_conditional_from_unit_row_drops_inactive() -> None:
    space = SearchSpace(SVM_SPACE)
    params = space.from_unit_row([0.9, 0.5, 0.9, 0.1, 0.0])
    assert params == {"model": "tree", "depth": 1}
    row = space.to_unit_row(params)
    assert row is not None
    assert row[0] == 0.75 and row[4] == 1 / 6
    assert all(x != x for x in row[1:4])  # inactive are NaN


def test_conditional_on_unknown_or_later_parent_is_an_error() -> None:
    with pytest.raises(SpaceError, match=r"'C' is conditional on 'model', which is not defined"):
        SearchSpace(
            {"C": Conditional(Float(0, 1), when={"model": "svm"}), "model": Categorical(["svm"])}
        )


def test_condition_that_can_never_hold_is_an_error() -> None:
    with pytest.raises(SpaceError, match=r"condition model='lasso' can never hold"):
        SearchSpace(
            {"model": Categorical(["svm"]), "C": Conditional(Float(0, 1), when={"model": "lasso"})}
        )


def test_validate_params() -> None:
    space = SearchSpace(SVM_SPACE)
    assert space.validate_params({"depth": 2, "model": "tree"}) == {"model": "tree", "depth": 2}
    with pytest.raises(ValueError, match=r"parameter 'depth' is missing"):
        space.validate_params({"model": "tree"})
    with pytest.raises(ValueError, match=r"parameter 'depth': 9 is not in Int\(1, 3\)"):
        space.validate_params({"model": "tree", "depth": 9})
    with pytest.raises(ValueError, match=r"\['C'\] are not in the space"):
        space.validate_params({"model": "tree", "depth": 2, "C": 1.0})


def test_space_rejects_non_distribution() -> None:
    with pytest.raises(SpaceError, match=r"parameter 'x': 3 is not a distribution"):
        SearchSpace({"x": 3})  # type: ignore[dict-item]


# -- dict specs -----------------------------------------------------------------------------
def test_dict_spec_with_when_equals_declared_conditional_space() -> None:
    spec = {
        "model": ["svm", "tree"],
        "C": {"type": "float", "low": 1e-3, "high": 1e3, "log": True, "when": {"model": "svm"}},
        "kernel": {"type": "categorical", "choices": ["rbf", "poly"], "when": {"model": "svm"}},
        "degree": {"type": "int", "low": 2, "high": 4, "when": {"kernel": "poly"}},
        "depth": {"type": "int", "low": 1, "high": 3, "when": {"model": ["tree"]}},
    }
    assert space_from_spec(spec) == SearchSpace(SVM_SPACE)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"x": {"type": "float", "low": 0}}, r"parameter 'x': 'high' is missing"),
        ({"x": {"type": "gauss", "low": 0}}, r"parameter 'x': type='gauss' is not known"),
        (
            {"x": {"type": "int", "low": 0, "high": 2, "choices": [1]}},
            r"parameter 'x': unknown key\(s\) \['choices'\]",
        ),
        ({"x": 5}, r"parameter 'x': 5 is not a parameter definition"),
        ({"x": {"type": "categorical"}}, r"parameter 'x': 'choices' is missing"),
    ],
)
def test_dict_spec_errors_name_the_parameter(spec: dict[str, object], match: str) -> None:
    with pytest.raises(SpaceError, match=match):
        space_from_spec(spec)


# -- files ----------------------------------------------------------------------------------
TOML = """
[study]
name = "svm"

[space]
lr = { type = "float", low = 1e-5, high = 1e-1, log = true }
depth = { type = "int", low = 2, high = 12 }
kernel = { type = "categorical", choices = ["rbf", "poly"] }
degree = { type = "int", low = 2, high = 5, when = { kernel = "poly" } }
pair = [[1, 2], [3, 4]]
"""

YAML = """
space:
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  depth: {type: int, low: 2, high: 12}
  kernel: {type: categorical, choices: [rbf, poly]}
  degree: {type: int, low: 2, high: 5, when: {kernel: poly}}
  pair: [[1, 2], [3, 4]]
"""

EXPECTED_FILE_SPACE = SearchSpace(
    {
        "lr": Float(1e-5, 1e-1, log=True),
        "depth": Int(2, 12),
        "kernel": Categorical(["rbf", "poly"]),
        "degree": Conditional(Int(2, 5), when={"kernel": "poly"}),
        "pair": Categorical([(1, 2), (3, 4)]),  # lists in files become tuples
    }
)


@pytest.mark.parametrize(("suffix", "text"), [(".toml", TOML), (".yaml", YAML), (".yml", YAML)])
def test_space_files(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"tune{suffix}"
    path.write_text(text, encoding="utf-8")
    space = load_space(path)
    assert space == EXPECTED_FILE_SPACE
    assert list(space) == ["lr", "depth", "kernel", "degree", "pair"]


def test_step_warning_from_a_toml_file_names_the_parameter(tmp_path: Path) -> None:
    path = tmp_path / "tune.toml"
    path.write_text('[space]\nx = { type = "float", low = 0, high = 1, step = 0.3 }\n')
    with pytest.warns(UserWarning, match=r"parameter 'x': .*largest value will be 0.9"):
        space = load_space(path)
    assert space["x"].points() == [0.0, 0.3, 0.6, 0.9]


def test_space_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_space(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[space\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_space(bad)
    other = tmp_path / "space.json"
    other.write_text("{}")
    with pytest.raises(ConfigError, match=r"unknown config format '\.json'"):
        load_space(other)
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("space:\n  x: {type: float, low: 2, high: 1}\n")
    with pytest.raises(SpaceError, match=r"parameter 'x': .*greater than high"):
        load_space(invalid)


# -- JSON round trips ----------------------------------------------------------------------
VALUES = [
    None,
    True,
    False,
    0,
    1,
    -7,
    2**63 + 1,
    1.0,
    -0.0,
    0.1,
    1e-300,
    1e300,
    float("inf"),
    float("-inf"),
    "",
    "1",
    "ünïcode",
    (2, 3),
    (),
    ((1,), [2.0]),
    [1, "a", None],
    {"a": (1, 2), "b": [True]},
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_value_round_trips_exactly(value: object) -> None:
    text = dumps_value(value)
    json.loads(text)  # plain JSON, no NaN/Infinity tokens
    back = loads_value(text)
    assert repr(back) == repr(value)
    assert type(back) is type(value)
    assert decode_value(json.loads(json.dumps(encode_value(value)))) == value


def test_nan_round_trips() -> None:
    back = loads_value(dumps_value(float("nan")))
    assert isinstance(back, float) and back != back


@pytest.mark.parametrize(
    "dist",
    [
        Float(0.1, 0.7),
        Float(1e-5, 1.0, log=True),
        Float(0.8, 1.0, step=0.1),
        Float(3.0, 3.0),
        Int(-5, 5),
        Int(1, 1024, log=True),
        Int(0, 100, step=10),
        Categorical([None, True, 1, 1.0, "1", (2, 3)]),
        Categorical([[1, 2], {"k": (1,)}]),
    ],
    ids=repr,
)
def test_distribution_round_trips_exactly(dist: object) -> None:
    back = loads_distribution(dumps_distribution(dist))  # type: ignore[arg-type]
    assert back == dist
    assert repr(back) == repr(dist)
    assert distribution_from_dict(distribution_to_dict(dist)) == dist  # type: ignore[arg-type]


def test_distribution_dict_shape() -> None:
    assert distribution_to_dict(Float(0.0, 1.0, step=0.5)) == {
        "type": "float",
        "low": 0.0,
        "high": 1.0,
        "step": 0.5,
    }
    assert distribution_to_dict(Int(1, 8, log=True)) == {
        "type": "int",
        "low": 1,
        "high": 8,
        "log": True,
    }
    assert distribution_to_dict(Categorical(["a", (1, 2)])) == {
        "type": "categorical",
        "choices": ["a", {"__tuple__": [1, 2]}],
    }


def test_space_round_trips_exactly_with_conditions() -> None:
    space = SearchSpace({**SVM_SPACE, "mixed": Categorical([None, True, 1, 1.0, "1", (2, 3)])})
    text = json.dumps(space_to_dict(space))
    back = space_from_dict(json.loads(text))
    assert back == space
    assert list(back) == list(space)
    assert back.condition("depth") == space.condition("depth")
    assert [type(c) for c in back["mixed"].choices] == [  # type: ignore[attr-defined]
        type(None),
        bool,
        int,
        float,
        str,
        tuple,
    ]


def test_unknown_distribution_type() -> None:
    with pytest.raises(SpaceError, match="unknown distribution type 'beta'"):
        distribution_from_dict({"type": "beta"})
