"""Train a scikit-learn estimator step by step (``partial_fit`` or ``warm_start``), reporting a
validation score after each step so that a scheduler can stop it early.

``pip install "tuningfork[sklearn]"``.
"""

from tuningfork.integrations.partial_fit._fit import fit_with_reports

__all__ = ["fit_with_reports"]
