"""PyTorch: report_or_prune in a plain loop, and LightningPruningCallback with real training."""

from __future__ import annotations

import importlib
import subprocess
import sys
from typing import Any

import pytest
import torch

import tuningfork
from tuningfork import TrialState
from tuningfork.integrations.torch import report_or_prune
from tuningfork.schedulers import ASHA


class Recorder:
    def __init__(self, stop_at: int | None = None) -> None:
        self.reports: list[tuple[int, float]] = []
        self.stop_at = stop_at

    def report(self, step: int, value: float) -> None:
        self.reports.append((step, value))

    def should_stop(self) -> bool:
        return self.stop_at is not None and self.reports[-1][0] >= self.stop_at


def _data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(256, 4, generator=g)
    y = X @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.1 * torch.randn(256, generator=g)
    return X, y


def _train(trial: Any, lr: float, epochs: int) -> float:
    torch.manual_seed(0)
    X, y = _data()
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss = torch.tensor(float("nan"))
    for epoch in range(1, epochs + 1):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X).squeeze(1), y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            val = torch.nn.functional.mse_loss(model(X).squeeze(1), y)
        report_or_prune(trial, epoch, val)  # a tensor
    return float(loss.detach())


@pytest.mark.slow  # the first torch operations of the session warm torch up
def test_plain_loop_reports_tensors_as_floats() -> None:
    trial = Recorder()
    _train(trial, lr=0.1, epochs=5)
    assert [s for s, _ in trial.reports] == [1, 2, 3, 4, 5]
    assert all(type(v) is float for _, v in trial.reports)
    assert trial.reports[-1][1] < trial.reports[0][1]


def test_plain_loop_stops() -> None:
    trial = Recorder(stop_at=2)
    with pytest.raises(tuningfork.TrialPruned, match="at step 2"):
        _train(trial, lr=0.1, epochs=50)
    assert len(trial.reports) == 2


def test_plain_loop_with_asha_in_a_study() -> None:
    def objective(trial: tuningfork.Trial) -> float:
        return _train(trial, trial.suggest_float("lr", 1e-4, 0.5, log=True), epochs=9)

    study = tuningfork.create_study(scheduler=ASHA(1, 9), seed=0)
    study.optimize(objective, n_trials=12)
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    assert pruned and all(max(t.intermediate) in (1, 3) for t in pruned)
    assert study.best_params["lr"] > 0.05


def test_a_non_number_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="the reported value must be a number, got 'x'"):
        report_or_prune(Recorder(), 1, "x")


@pytest.mark.slow  # a new interpreter imports torch
def test_lightning_is_imported_only_for_its_callback() -> None:
    code = (
        "import sys, tuningfork.integrations.torch as t; "
        "assert 'lightning' not in sys.modules; "
        "assert t.LightningPruningCallback.__name__ == 'LightningPruningCallback'; "
        "assert 'lightning' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    module = importlib.import_module("tuningfork.integrations.torch")
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        module.Nope  # noqa: B018


@pytest.mark.slow
# Lightning 2.6 with torch 2.13 uses a deprecated torch API inside; not ours to fix
@pytest.mark.filterwarnings("ignore:`isinstance.treespec, LeafSpec.` is deprecated:FutureWarning")
def test_lightning_callback_reports_each_epoch_and_stops() -> None:
    lightning = pytest.importorskip("lightning")
    from tuningfork.integrations.torch import LightningPruningCallback

    class Module(lightning.LightningModule):  # type: ignore[misc, name-defined]
        def __init__(self, lr: float) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)
            self.lr = lr

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            X, y = batch
            return torch.nn.functional.mse_loss(self.layer(X).squeeze(1), y)

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            X, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.layer(X).squeeze(1), y))

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=self.lr)

    X, y = _data()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64)

    def fit(trial: Any, epochs: int) -> None:
        trainer = lightning.Trainer(
            max_epochs=epochs,
            accelerator="cpu",
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[LightningPruningCallback(trial, "val_loss")],
        )
        trainer.fit(Module(0.05), loader, loader)

    trial = Recorder()
    fit(trial, 3)
    assert [s for s, _ in trial.reports] == [1, 2, 3]  # no report for the sanity check
    stopped = Recorder(stop_at=2)
    with pytest.raises(tuningfork.TrialPruned, match="at step 2"):
        fit(stopped, 10)
    assert len(stopped.reports) == 2
    with pytest.raises(ValueError, match=r"metric 'loss' was not logged; logged: \['val_loss'\]"):
        trainer = lightning.Trainer(
            max_epochs=1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[LightningPruningCallback(Recorder(), "loss")],
        )
        trainer.fit(Module(0.05), loader, loader)
