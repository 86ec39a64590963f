"""YAML configs read numbers and booleans as a user means them (YAML 1.2 scalars)."""

from __future__ import annotations

from pathlib import Path

import pytest

import tuningfork as tf
from tuningfork import ConfigError
from tuningfork.space import load_space


def test_exponent_without_dot_is_a_float_and_yes_no_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "space.yaml"
    path.write_text(
        "space:\n"
        "  lr: {type: float, low: 1e-5, high: 1e-1, log: true}\n"
        "  answer: [yes, no, on, off]\n"
        "  flag: [true, false]\n"
    )
    space = load_space(path)
    assert space["lr"] == tf.Float(1e-5, 1e-1, log=True)
    assert space["answer"] == tf.Categorical(["yes", "no", "on", "off"])
    assert space["flag"] == tf.Categorical([True, False])


def test_a_key_given_twice_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "space.yaml"
    path.write_text("space:\n  x: [1, 2]\n  x: [3, 4]\n")
    with pytest.raises(ConfigError, match="found the key 'x' twice"):
        load_space(path)
