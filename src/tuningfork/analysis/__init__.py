"""Read-only analysis of a History: best trials, Pareto fronts, tables, guards against mistakes."""

from tuningfork.analysis._best import best_trial, pareto_front, pareto_mask
from tuningfork.analysis._checks import Finding, check_study
from tuningfork.analysis._dataframe import trials_dataframe, trials_to_rows
from tuningfork.analysis._overfit import OverfitReport, overfitting_report
from tuningfork.analysis._selection import (
    Candidate,
    SelectionResult,
    is_candidate,
    summarize_reevaluations,
)

__all__ = [
    "Candidate",
    "Finding",
    "OverfitReport",
    "SelectionResult",
    "best_trial",
    "check_study",
    "is_candidate",
    "overfitting_report",
    "pareto_front",
    "pareto_mask",
    "summarize_reevaluations",
    "trials_dataframe",
    "trials_to_rows",
]
