"""PyTorch: report from a plain training loop, or from Lightning with a callback.

``pip install "tuningfork[torch]"`` (and ``"tuningfork[lightning]"`` for the callback)::

    for epoch in range(1, epochs + 1):
        train_one_epoch(model, loader)
        report_or_prune(trial, epoch, validation_loss(model))   # a tensor is fine

    trainer = lightning.Trainer(callbacks=[LightningPruningCallback(trial, "val_loss")])
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from tuningfork.integrations.torch._loop import report_or_prune

if _typing.TYPE_CHECKING:
    from tuningfork.integrations.torch._lightning import LightningPruningCallback

__all__ = ["LightningPruningCallback", "report_or_prune"]

# Lightning is imported only when its callback is asked for: a plain PyTorch loop does not
# need it installed.
_LAZY = {"LightningPruningCallback": "tuningfork.integrations.torch._lightning"}


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY:
        return getattr(_importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
