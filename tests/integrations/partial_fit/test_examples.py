"""The early-stopping examples run (with fewer trials)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tuningfork import TrialState

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize(("name", "max_step"), [("mlp_digits_asha", 27), ("boosting_rounds", 27)])
def test_example_runs_and_stops_trials_early(
    name: str, max_step: int, capsys: pytest.CaptureFixture[str]
) -> None:
    study = _load(name).main(n_trials=8)
    states = [t.state for t in study.trials]
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    assert all(
        max(t.intermediate) == max_step for t in study.trials if t.state is TrialState.COMPLETE
    )
    assert "best validation" in capsys.readouterr().out
