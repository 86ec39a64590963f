"""The storage contract: the only shared mutable state of a study.

Invariants every implementation keeps (``tuningfork.testing.storage_contract`` checks them, and
every built-in storage runs that suite):

* **Atomic methods.** Each method is one atomic step: it happens whole or not at all, and is safe
  to call from many threads at once (and, for SQL storages, from many processes and machines).
  A failed call leaves nothing half-written.
* **Numbering.** Trials of a study are numbered 0, 1, 2, ... in creation order, with no gaps and
  no duplicates, however many workers create trials at once. A trial's seed is derived from
  ``(study seed, number)`` by ``tuningfork._core.rng.trial_seed``.
* **Exactly one winner.** ``claim_waiting`` moves the oldest WAITING trial to RUNNING and gives
  it to exactly one caller; ``next_counter`` hands every integer to exactly one caller.
* **Leases.** A RUNNING trial may hold a lease (``lease_until``), renewed by its worker's
  heartbeat. ``fail_if_lease_expired`` finishes a trial FAILED only if it is still RUNNING with a
  lease that ended before ``now``, in one atomic step: of many workers that notice the same
  expired trial at once, exactly one gets the record back (and may queue a retry). A trial
  without a lease never expires.
* **Immutable once finished.** After ``finish`` a trial never changes again; any later write to
  it raises :class:`~tuningfork.TrialFinishedError` and changes nothing.
* **Change sequence.** Every change to a trial gives it a new, strictly larger study-wide sequence
  number; ``changes_since(study, seq)`` returns the current sequence number and every trial
  changed after ``seq``. Readers therefore fetch only what changed, never the whole study.
* **Values kept exactly.** Parameter values come back with the same type and value they were
  stored with (a tuple stays a tuple, ``True`` stays a bool, ``1.0`` stays a float), also in
  another process.

Records returned are immutable snapshots; a storage never hands out an object it will mutate.
Only the ``study`` layer writes to a storage.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tuningfork._core.records import Direction, StudyRecord, TrialRecord, TrialState
from tuningfork.space import Distribution


class Storage(ABC):
    """Where studies and their trials live. See the module docstring for the invariants."""

    # -- studies -------------------------------------------------------------------------

    @abstractmethod
    def create_study(
        self,
        name: str,
        directions: Sequence[Direction],
        seed: int,
        config: Mapping[str, Any] | None = None,
    ) -> StudyRecord:
        """Store a new study. Raises ``StudyExistsError`` if the name is taken."""

    @abstractmethod
    def load_study(self, name: str) -> StudyRecord:
        """The stored study. Raises ``StudyNotFoundError`` naming the known studies."""

    @abstractmethod
    def list_studies(self) -> list[StudyRecord]:
        """Every stored study, in creation order."""

    @abstractmethod
    def delete_study(self, name: str) -> None:
        """Remove a study and all its trials. Raises ``StudyNotFoundError``."""

    @abstractmethod
    def set_study_attr(self, study: str, key: str, value: Any, *, user: bool = True) -> None:
        """Set a user attribute (``user=True``) or a config entry (``user=False``)."""

    @abstractmethod
    def next_counter(self, study: str, key: str) -> int:
        """Fetch-and-increment a named per-study counter that starts at 0 (atomic)."""

    # -- trials ----------------------------------------------------------------------------

    @abstractmethod
    def create_trial(
        self,
        study: str,
        *,
        state: TrialState,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        lease_until: datetime | None = None,
    ) -> TrialRecord:
        """Create a WAITING or RUNNING trial with the next number.

        ``params`` of a WAITING trial are fixed values the trial will take (enqueued by hand);
        their ``distributions`` may be unknown until the trial runs. A RUNNING trial gets
        ``started_at`` now.
        """

    @abstractmethod
    def claim_waiting(
        self, study: str, worker: str, lease_until: datetime | None
    ) -> TrialRecord | None:
        """Move the oldest WAITING trial to RUNNING for ``worker``; ``None`` if none waits."""

    @abstractmethod
    def set_param(
        self, study: str, number: int, name: str, distribution: Distribution, value: Any
    ) -> TrialRecord:
        """Record a parameter of an unfinished trial.

        Setting a name again with the same value (and any distribution) records the
        distribution; with a different value it raises ``ValueError``.
        """

    @abstractmethod
    def report(self, study: str, number: int, step: int, value: float) -> TrialRecord:
        """Record an intermediate value. A step already reported keeps its first value."""

    @abstractmethod
    def set_trial_attr(
        self, study: str, number: int, key: str, value: Any, *, user: bool = True
    ) -> TrialRecord:
        """Set a user attribute (``user=True``) or a system attribute of an unfinished trial."""

    @abstractmethod
    def finish(
        self,
        study: str,
        number: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        error: str | None = None,
    ) -> TrialRecord:
        """Finish a trial as COMPLETE, PRUNED or FAILED, once. ``error`` goes to system_attrs."""

    @abstractmethod
    def renew_lease(self, study: str, number: int, until: datetime) -> None:
        """Extend the lease of a RUNNING trial (the worker's heartbeat)."""

    @abstractmethod
    def fail_if_lease_expired(
        self, study: str, number: int, now: datetime, error: str
    ) -> TrialRecord | None:
        """Finish trial ``number`` FAILED with ``error`` if it is RUNNING and its lease ended
        before ``now``; else change nothing and return ``None``. Atomic: exactly one of many
        concurrent callers gets the finished record."""

    @abstractmethod
    def get_trial(self, study: str, number: int) -> TrialRecord:
        """One trial. Raises ``KeyError`` if there is no such trial."""

    @abstractmethod
    def changes_since(self, study: str, seq: int) -> tuple[int, list[TrialRecord]]:
        """``(current seq, trials changed after seq)``; ``seq=0`` returns every trial."""

    # -- conveniences built on the contract ------------------------------------------------

    def get_all_trials(self, study: str) -> list[TrialRecord]:
        return sorted(self.changes_since(study, 0)[1], key=lambda t: t.number)

    def close(self) -> None:  # noqa: B027 - optional hook, most storages hold nothing
        """Release connections; the storage must not be used afterwards."""
