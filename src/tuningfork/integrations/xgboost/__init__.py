"""An XGBoost callback that reports an evaluation metric after each boosting round and ends
the trial when the study's scheduler says stop. ``pip install "tuningfork[xgboost]"``."""

from tuningfork.integrations.xgboost._callback import XGBoostPruningCallback

__all__ = ["XGBoostPruningCallback"]
