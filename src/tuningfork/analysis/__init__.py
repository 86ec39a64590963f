"""Read-only analysis of a History: best trials, Pareto fronts, tables."""

from tuningfork.analysis._best import best_trial, pareto_front, pareto_mask
from tuningfork.analysis._dataframe import trials_dataframe, trials_to_rows

__all__ = ["best_trial", "pareto_front", "pareto_mask", "trials_dataframe", "trials_to_rows"]
