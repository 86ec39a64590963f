"""Schedulers decide whether a running trial goes on (early stopping).

Each one reads the trial's intermediate values and the study's History and answers CONTINUE or
STOP; see ``docs/schedulers.md`` for the rules.
"""

from tuningfork.schedulers._base import Scheduler
from tuningfork.schedulers._halving import ASHA, SuccessiveHalving
from tuningfork.schedulers._hyperband import Hyperband
from tuningfork.schedulers._median import MedianStopping
from tuningfork.schedulers._patience import Patience
from tuningfork.schedulers._threshold import Threshold

__all__ = [
    "ASHA",
    "Hyperband",
    "MedianStopping",
    "Patience",
    "Scheduler",
    "SuccessiveHalving",
    "Threshold",
]
