"""Honest validation for scikit-learn models: cross-validation with preprocessing inside the
folds, checks for imbalanced, overlapping and duplicated splits, and a leakage measurement.

Needs scikit-learn (``pip install "tuningfork[sklearn]"``), imported when used.
"""

from tuningfork.integrations.validation._cv import CrossValObjective, cross_val_objective
from tuningfork.integrations.validation._leakage import LeakageReport, check_leakage

__all__ = ["CrossValObjective", "LeakageReport", "check_leakage", "cross_val_objective"]
