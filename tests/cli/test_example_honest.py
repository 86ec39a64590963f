"""examples/honest_tuning.py runs and shows every guard."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "honest_tuning.py"


@pytest.mark.slow
def test_honest_tuning_example(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("honest_tuning", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
    out = capsys.readouterr().out
    assert "LEAKY: fit it inside the folds" in out
    assert "chosen: trial" in out
    assert "test accuracy of the chosen configuration: 0.9" in out
    assert "validation vs test" in out and "optimism of the selected best" in out
