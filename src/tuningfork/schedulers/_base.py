"""The scheduler contract: decide whether a running trial goes on.

A scheduler reads the trial's record (with its intermediate values) and the study's History,
and returns :class:`~tuningfork.Decision` ``CONTINUE`` or ``STOP``. It is deterministic given
the history and never writes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from tuningfork._core.history import History
from tuningfork._core.records import Decision, TrialRecord


class Scheduler(ABC):
    #: Whether the rule works for studies with several objectives (most compare values along
    #: the one direction; a study refuses a scheduler that does not).
    multi_objective: ClassVar[bool] = False

    @abstractmethod
    def decide(self, trial: TrialRecord, history: History) -> Decision:
        """CONTINUE or STOP for ``trial`` after its latest report."""

    def describe(self) -> dict[str, Any]:
        return {"name": type(self).__name__}
