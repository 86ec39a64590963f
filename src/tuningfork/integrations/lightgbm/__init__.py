"""A LightGBM callback that reports an evaluation metric after each boosting round and ends
the trial when the study's scheduler says stop. ``pip install "tuningfork[lightgbm]"``."""

from tuningfork.integrations.lightgbm._callback import LightGBMPruningCallback

__all__ = ["LightGBMPruningCallback"]
