"""Leases on running trials: the heartbeat that renews them, and recovery of expired ones.

A RUNNING trial started by ``Study.ask`` holds a lease (``lease_until``) that its worker renews
every ``heartbeat_interval`` seconds. A worker that dies (SIGKILL, a crash, a lost machine)
stops renewing; once the lease has ended, the next worker that asks notices, marks the trial
FAILED with a ``LostWorker`` error (atomically: ``Storage.fail_if_lease_expired``), and queues a
retry with the same parameters as the study's retry policy allows.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from tuningfork._core.errors import TrialFinishedError
from tuningfork._core.records import TrialRecord
from tuningfork.storage import Storage

logger = logging.getLogger("tuningfork")

DEFAULT_LEASE_DURATION = 60.0
DEFAULT_RETRIES = 1
LOST_WORKER = "LostWorker"
RETRY_OF = "retry_of"
RETRY_COUNT = "retry_count"


def check_lease_duration(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(
            f"lease_duration must be a number of seconds > 0, or None for no lease; got {value!r}"
        )
    return float(value)


def check_retries(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"retries must be an int >= 0, got {value!r}")
    return value


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def lease_until(duration: float | None) -> datetime | None:
    return None if duration is None else utcnow() + timedelta(seconds=duration)


def lost_worker_error(record: TrialRecord, now: datetime, noticed_by: str) -> str:
    worker = record.system_attrs.get("worker", "an unknown worker")
    ended = record.lease_until.isoformat() if record.lease_until is not None else "?"
    return (
        f"{LOST_WORKER}: the worker running this trial ({worker}) stopped renewing its lease, "
        f"which ended at {ended}; the process died or lost the storage. Noticed by {noticed_by} "
        f"at {now.isoformat()}."
    )


def retry_attrs(
    failed: TrialRecord, retries: int, base: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """System attributes of the WAITING retry of ``failed``, or ``None`` when the retry policy
    says no. ``base`` holds values the trial was bound to take (a grid point)."""
    count = int(failed.system_attrs.get(RETRY_COUNT, 0))
    if count >= retries:
        return None
    from tuningfork.samplers._finite import FIXED_ATTR

    fixed = {**(base or {}), **failed.system_attrs.get(FIXED_ATTR, {}), **failed.params}
    attrs: dict[str, Any] = {FIXED_ATTR: fixed, RETRY_OF: failed.number, RETRY_COUNT: count + 1}
    if failed.system_attrs.get("enqueued"):
        attrs["enqueued"] = True
    return attrs


class Heartbeat:
    """One daemon thread per Study object renewing the leases of the trials it runs.

    The thread exists only while trials are live, and is a daemon: a process that exits with a
    trial never told does not wait for it (the trial's lease then ends and another worker
    recovers it).
    """

    def __init__(
        self,
        storage: Storage,
        study: str,
        duration: float | None,
    ) -> None:
        self._storage = storage
        self._study = study
        self.duration = duration  # seconds a lease lasts; None: trials get no lease
        self.interval: float | None = None  # seconds between renewals; None: duration / 3
        self._lock = threading.Lock()
        self._live: set[int] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def __contains__(self, number: object) -> bool:
        with self._lock:
            return number in self._live

    def live(self) -> list[int]:
        with self._lock:
            return sorted(self._live)

    def add(self, number: int) -> None:
        with self._lock:
            self._live.add(number)
            if self._thread is None:
                self._wake.clear()
                self._thread = threading.Thread(
                    target=_beat,
                    args=(weakref.ref(self),),
                    name=f"tuningfork-heartbeat-{self._study}",
                    daemon=True,
                )
                self._thread.start()

    def discard(self, number: int) -> None:
        with self._lock:
            self._live.discard(number)
            if not self._live:
                self._wake.set()  # let the thread end now rather than after its sleep

    def _renew_all(self) -> bool:
        """Renew every live lease; False when nothing is live (the thread then ends)."""
        with self._lock:
            numbers = sorted(self._live)
            if not numbers:
                self._thread = None
                return False
        duration = self.duration
        if duration is None:
            return True
        for number in numbers:
            try:
                self._storage.renew_lease(
                    self._study, number, utcnow() + timedelta(seconds=duration)
                )
            except (TrialFinishedError, KeyError):
                self.discard(number)  # told meanwhile, or failed by another worker
            except Exception as exc:  # a storage hiccup: try again at the next beat
                logger.warning(
                    "could not renew the lease of trial %d of study %r: %s",
                    number,
                    self._study,
                    exc,
                )
        return True

    def _sleep(self) -> None:
        interval = self.interval
        if interval is None:
            interval = (self.duration or DEFAULT_LEASE_DURATION) / 3
        self._wake.wait(interval)
        self._wake.clear()


def _beat(ref: weakref.ReferenceType[Heartbeat]) -> None:
    # A weak reference: the thread does not keep a dropped Study (and its storage) alive.
    while True:
        beat = ref()
        if beat is None:
            return
        beat._sleep()
        if not beat._renew_all():
            return
        del beat
