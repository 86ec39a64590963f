"""The conformance suite every :class:`~tuningfork.storage.Storage` must pass.

Subclass :class:`StorageContract` in a test module, name the subclass ``Test...`` and implement
:meth:`StorageContract.make_storage`; pytest then runs every ``test_*`` method against your
storage::

    class TestMyStorage(StorageContract):
        def make_storage(self, tmp_path, clock):
            return MyStorage(tmp_path / "db", clock=clock)

``make_storage`` must return an empty storage that uses ``clock`` for every timestamp it
writes. A storage that persists can also override :meth:`StorageContract.reopen` to return a
second, independent handle on the same data, so values are checked after a real round trip.
Every test asserts exact values (types included), not merely that no exception was raised.

This module needs pytest; it is imported only by test suites.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tuningfork._core.clock import Clock
from tuningfork._core.errors import StudyExistsError, StudyNotFoundError, TrialFinishedError
from tuningfork._core.records import Direction, StudyRecord, TrialRecord, TrialState
from tuningfork._core.rng import trial_seed
from tuningfork.space import Categorical, Distribution, Float, Int
from tuningfork.storage._base import Storage

__all__ = ["StorageContract"]

T = TypeVar("T")

MIN = (Direction.MINIMIZE,)
N_THREADS = 8

# Categorical choices whose types JSON would blur: each must come back as itself.
TYPED_CHOICES: list[Any] = [None, True, 1, 1.0, "1", (2, 3), [1, 2], {"a": 1}]

# Floats that a lossy encoding (str(), float32, decimal text with too few digits) would change.
EXACT_FLOATS: list[float] = [
    0.1,
    1 / 3,
    1e-300,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -123456.78901234567,
    0.30000000000000004,
]
BIG_INTS: list[int] = [2**31, 2**53 + 1, 2**63 - 1, -(2**62)]


class _StepClock:
    """A clock that ticks one second (and one microsecond) per reading, in UTC."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=timezone.utc)
        self.readings: list[datetime] = []

    def now(self) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=1, microseconds=1)
            self.readings.append(self._now)
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return (self._now - datetime(2024, 1, 1, tzinfo=timezone.utc)).total_seconds()


def _same(a: Any, b: Any) -> bool:
    """Equal in value and in type, recursively (``1 != 1.0 != True``; NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _in_threads(n: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` for i in range(n), all threads released at once; re-raise failures."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a storage call hung in a thread"
    if errors:
        raise errors[0]
    return results


class StorageContract:
    """Base class of a storage's conformance tests; see the module docstring."""

    # -- hooks -------------------------------------------------------------------------------

    def make_storage(self, tmp_path: Path, clock: Clock) -> Storage:
        """An empty storage for one test, writing timestamps from ``clock``."""
        raise NotImplementedError("subclasses of StorageContract implement make_storage")

    def reopen(self, storage: Storage, tmp_path: Path, clock: Clock) -> Storage | None:
        """A second handle on the same data (e.g. a new connection), or None if none exists."""
        return None

    # -- fixtures ------------------------------------------------------------------------

    @pytest.fixture
    def clock(self) -> _StepClock:
        return _StepClock()

    @pytest.fixture
    def storage(self, tmp_path: Path, clock: _StepClock) -> Iterator[Storage]:
        storage = self.make_storage(tmp_path, clock)
        try:
            yield storage
        finally:
            storage.close()

    @pytest.fixture
    def readers(
        self, storage: Storage, tmp_path: Path, clock: _StepClock
    ) -> Iterator[list[Storage]]:
        """The storage itself and, if the storage persists, an independent second handle."""
        other = self.reopen(storage, tmp_path, clock)
        try:
            yield [storage] if other is None else [storage, other]
        finally:
            if other is not None:
                other.close()

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _study(storage: Storage, name: str = "s", seed: int = 12345, **kw: Any) -> StudyRecord:
        return storage.create_study(name, kw.pop("directions", MIN), seed, **kw)

    @staticmethod
    def _running(storage: Storage, study: str = "s", **kw: Any) -> TrialRecord:
        return storage.create_trial(study, state=TrialState.RUNNING, **kw)

    @staticmethod
    def _reads(readers: Sequence[Storage], study: str, number: int) -> list[TrialRecord]:
        """The trial as seen by get_trial and changes_since on every reader."""
        out = []
        for reader in readers:
            out.append(reader.get_trial(study, number))
            _, changed = reader.changes_since(study, 0)
            out.extend(t for t in changed if t.number == number)
        return out

    # == studies ===========================================================================

    def test_create_and_load_study(self, storage: Storage, clock: _StepClock) -> None:
        directions = (Direction.MINIMIZE, Direction.MAXIMIZE)
        created = storage.create_study("alpha", directions, 2**32 - 1, {"sampler": "tpe"})
        loaded = storage.load_study("alpha")
        for record in (created, loaded):
            assert record.name == "alpha"
            assert record.directions == directions
            assert all(type(d) is Direction for d in record.directions)
            assert record.seed == 2**32 - 1
            assert dict(record.config) == {"sampler": "tpe"}
            assert dict(record.user_attrs) == {}
            assert record.created_at == clock.readings[0]
            assert record.created_at is not None
            assert record.created_at.utcoffset() == timedelta(0)

    def test_list_studies_in_creation_order(self, storage: Storage) -> None:
        assert storage.list_studies() == []
        for name, seed in [("b", 1), ("a", 2), ("c", 3)]:
            self._study(storage, name, seed=seed)
        listed = storage.list_studies()
        assert [(s.name, s.seed) for s in listed] == [("b", 1), ("a", 2), ("c", 3)]

    def test_duplicate_study_name_raises(self, storage: Storage) -> None:
        self._study(storage, "dup", seed=1)
        with pytest.raises(StudyExistsError, match="'dup' already exists"):
            self._study(storage, "dup", seed=2)
        with pytest.raises(ValueError):  # StudyExistsError is also a ValueError
            self._study(storage, "dup", seed=3)
        assert storage.load_study("dup").seed == 1
        assert [s.name for s in storage.list_studies()] == ["dup"]

    def test_unknown_study_error_names_known_studies(self, storage: Storage) -> None:
        self._study(storage, "alpha")
        self._study(storage, "beta")
        with pytest.raises(StudyNotFoundError, match=r"'nope'.*'alpha', 'beta'"):
            storage.load_study("nope")
        with pytest.raises(KeyError):  # StudyNotFoundError is also a KeyError
            storage.load_study("nope")

    def test_unknown_study_in_every_method(self, storage: Storage) -> None:
        calls: list[Callable[[], object]] = [
            lambda: storage.delete_study("x"),
            lambda: storage.set_study_attr("x", "k", 1),
            lambda: storage.next_counter("x", "k"),
            lambda: storage.create_trial("x", state=TrialState.RUNNING),
            lambda: storage.claim_waiting("x", "w", None),
            lambda: storage.get_trial("x", 0),
            lambda: storage.changes_since("x", 0),
            lambda: storage.fail_if_lease_expired("x", 0, datetime.now(timezone.utc), "e"),
        ]
        for call in calls:
            with pytest.raises(StudyNotFoundError, match="'x'"):
                call()

    def test_invalid_study_name(self, storage: Storage) -> None:
        for name in ["", "   ", "x" * 513]:
            with pytest.raises(ValueError, match="study name"):
                self._study(storage, name)
        assert storage.list_studies() == []

    def test_delete_study(self, storage: Storage) -> None:
        self._study(storage, "gone", seed=1)
        self._study(storage, "kept", seed=2)
        for _ in range(3):
            self._running(storage, "gone")
        self._running(storage, "kept")
        storage.next_counter("gone", "k")
        storage.delete_study("gone")
        assert [s.name for s in storage.list_studies()] == ["kept"]
        with pytest.raises(StudyNotFoundError):
            storage.load_study("gone")
        with pytest.raises(StudyNotFoundError):
            storage.delete_study("gone")
        assert [t.number for t in storage.get_all_trials("kept")] == [0]
        # The name is free again and the new study starts from scratch.
        self._study(storage, "gone", seed=3)
        assert storage.get_all_trials("gone") == []
        assert storage.changes_since("gone", 0) == (0, [])
        assert self._running(storage, "gone").number == 0
        assert storage.next_counter("gone", "k") == 0

    def test_set_study_attr(self, storage: Storage) -> None:
        self._study(storage, config={"a": 1})
        storage.set_study_attr("s", "note", {"nested": [1, (2, 3)]})
        storage.set_study_attr("s", "note", "second")
        storage.set_study_attr("s", "b", 2.5, user=False)
        record = storage.load_study("s")
        assert _same(dict(record.user_attrs), {"note": "second"})
        assert _same(dict(record.config), {"a": 1, "b": 2.5})
        storage.set_study_attr("s", "nested", {"x": [None, True, (1,)]})
        assert _same(storage.load_study("s").user_attrs["nested"], {"x": [None, True, (1,)]})

    def test_next_counter(self, storage: Storage) -> None:
        self._study(storage, "a")
        self._study(storage, "b")
        assert [storage.next_counter("a", "k") for _ in range(3)] == [0, 1, 2]
        assert storage.next_counter("a", "other") == 0
        assert storage.next_counter("b", "k") == 0
        assert storage.next_counter("a", "k") == 3

    def test_next_counter_exactly_once_under_threads(self, storage: Storage) -> None:
        self._study(storage)
        per_thread = 25
        got = _in_threads(
            N_THREADS, lambda i: [storage.next_counter("s", "k") for _ in range(per_thread)]
        )
        flat = sorted(v for values in got for v in values)
        assert flat == list(range(N_THREADS * per_thread))
        assert storage.next_counter("s", "k") == N_THREADS * per_thread

    # == creating and claiming trials ======================================================

    def test_create_trial_numbers_and_seeds(self, storage: Storage) -> None:
        study = self._study(storage, seed=987654321)
        states = [TrialState.RUNNING, TrialState.WAITING, TrialState.RUNNING, TrialState.WAITING]
        created = [storage.create_trial("s", state=state) for state in states]
        assert [t.number for t in created] == [0, 1, 2, 3]
        assert [t.state for t in created] == states
        assert [t.seed for t in created] == [trial_seed(study.seed, n) for n in range(4)]
        assert [t.seed for t in storage.get_all_trials("s")] == [t.seed for t in created]

    def test_create_trial_fields(self, storage: Storage, clock: _StepClock) -> None:
        self._study(storage)
        lease = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)
        running = self._running(
            storage,
            params={"x": 0.5},
            distributions={"x": Float(0.0, 1.0)},
            user_attrs={"u": [1, 2]},
            system_attrs={"retry_of": 7},
            lease_until=lease,
        )
        started = clock.readings[-1]
        waiting = storage.create_trial("s", state=TrialState.WAITING, params={"lr": 0.01})
        for record in (running, storage.get_trial("s", 0)):
            assert record.state is TrialState.RUNNING
            assert _same(dict(record.params), {"x": 0.5})
            assert dict(record.distributions) == {"x": Float(0.0, 1.0)}
            assert _same(dict(record.user_attrs), {"u": [1, 2]})
            assert _same(dict(record.system_attrs), {"retry_of": 7})
            assert record.started_at == started
            assert record.finished_at is None
            assert record.lease_until == lease
            assert record.values is None
            assert dict(record.intermediate) == {}
        for record in (waiting, storage.get_trial("s", 1)):
            assert record.state is TrialState.WAITING
            assert _same(dict(record.params), {"lr": 0.01})
            assert dict(record.distributions) == {}
            assert record.started_at is None
            assert record.lease_until is None

    def test_create_trial_rejects_finished_states(self, storage: Storage) -> None:
        self._study(storage)
        for state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED):
            with pytest.raises(ValueError, match=state.name):
                storage.create_trial("s", state=state)
        assert storage.get_all_trials("s") == []
        assert self._running(storage).number == 0

    def test_create_trial_numbering_under_threads(self, storage: Storage) -> None:
        study = self._study(storage, seed=42)
        per_thread = 25

        def work(i: int) -> list[int]:
            state = TrialState.RUNNING if i % 2 else TrialState.WAITING
            return [storage.create_trial("s", state=state).number for _ in range(per_thread)]

        got = _in_threads(N_THREADS, work)
        numbers = sorted(n for chunk in got for n in chunk)
        total = N_THREADS * per_thread
        assert numbers == list(range(total))
        for chunk in got:  # each thread sees its own trials in increasing order
            assert chunk == sorted(chunk)
        stored = storage.get_all_trials("s")
        assert [t.number for t in stored] == list(range(total))
        assert [t.seed for t in stored] == [trial_seed(study.seed, n) for n in range(total)]

    def test_claim_waiting_fifo(self, storage: Storage, clock: _StepClock) -> None:
        self._study(storage)
        storage.create_trial("s", state=TrialState.WAITING, params={"a": 1})
        self._running(storage)
        storage.create_trial("s", state=TrialState.WAITING, system_attrs={"retry_of": 1})
        storage.create_trial("s", state=TrialState.WAITING)
        lease = datetime(2031, 5, 6, 7, 8, 9, 10, tzinfo=timezone.utc)
        first = storage.claim_waiting("s", "worker-a", lease)
        assert first is not None
        assert first.number == 0
        assert first.state is TrialState.RUNNING
        assert first.started_at == clock.readings[-1]
        assert first.lease_until == lease
        assert first.system_attrs["worker"] == "worker-a"
        assert _same(dict(first.params), {"a": 1})
        assert storage.get_trial("s", 0) == first
        second = storage.claim_waiting("s", "worker-b", None)
        assert second is not None
        assert second.number == 2
        assert second.lease_until is None
        assert _same(dict(second.system_attrs), {"retry_of": 1, "worker": "worker-b"})
        third = storage.claim_waiting("s", "worker-c", None)
        assert third is not None
        assert third.number == 3
        assert storage.claim_waiting("s", "worker-d", None) is None
        assert [t.state for t in storage.get_all_trials("s")] == [TrialState.RUNNING] * 4

    def test_claim_waiting_empty(self, storage: Storage) -> None:
        self._study(storage)
        assert storage.claim_waiting("s", "w", None) is None
        self._running(storage)
        assert storage.claim_waiting("s", "w", None) is None

    def test_claim_waiting_exactly_one_winner(self, storage: Storage) -> None:
        self._study(storage)
        n_waiting = 5
        for i in range(n_waiting):
            storage.create_trial("s", state=TrialState.WAITING, params={"i": i})

        def work(i: int) -> list[int]:
            won = []
            while (record := storage.claim_waiting("s", f"w{i}", None)) is not None:
                assert record.state is TrialState.RUNNING
                won.append(record.number)
            return won

        got = _in_threads(N_THREADS, work)
        claimed = sorted(n for chunk in got for n in chunk)
        assert claimed == list(range(n_waiting))
        winners = {n: f"w{i}" for i, chunk in enumerate(got) for n in chunk}
        for record in storage.get_all_trials("s"):
            assert record.state is TrialState.RUNNING
            assert record.system_attrs["worker"] == winners[record.number]

    # == writing to running trials =========================================================

    def test_set_param(self, storage: Storage) -> None:
        self._study(storage)
        self._running(storage)
        dist = Float(0.0, 1.0)
        record = storage.set_param("s", 0, "x", dist, 0.25)
        assert _same(dict(record.params), {"x": 0.25})
        assert dict(record.distributions) == {"x": dist}
        # The same value again is fine and records the (new) distribution.
        wider = Float(0.0, 2.0)
        record = storage.set_param("s", 0, "x", wider, 0.25)
        assert dict(record.distributions) == {"x": wider}
        record = storage.set_param("s", 0, "n", Int(1, 10), 3)
        assert _same(dict(record.params), {"x": 0.25, "n": 3})
        assert storage.get_trial("s", 0) == record

    def test_set_param_conflicts_change_nothing(self, storage: Storage) -> None:
        self._study(storage)
        self._running(storage)
        storage.set_param("s", 0, "x", Float(0.0, 1.0), 0.25)
        storage.set_param("s", 0, "c", Categorical([1, 1.0, True]), 1)
        before = storage.get_trial("s", 0)
        seq = storage.changes_since("s", 0)[0]
        with pytest.raises(ValueError, match="'x'"):
            storage.set_param("s", 0, "x", Float(0.0, 1.0), 0.5)
        with pytest.raises(ValueError, match="'c'"):  # 1.0 is not 1
            storage.set_param("s", 0, "c", Categorical([1, 1.0, True]), 1.0)
        with pytest.raises(ValueError, match="'y'"):  # outside the distribution
            storage.set_param("s", 0, "y", Float(0.0, 1.0), 1.5)
        with pytest.raises(ValueError, match="'z'"):
            storage.set_param("s", 0, "z", Categorical(["a", "b"]), "c")
        with pytest.raises(ValueError, match="'i'"):
            storage.set_param("s", 0, "i", Int(0, 10, step=2), 3)
        assert storage.get_trial("s", 0) == before
        assert storage.changes_since("s", seq) == (seq, [])

    def test_set_param_of_enqueued_trial(self, storage: Storage) -> None:
        self._study(storage)
        storage.create_trial("s", state=TrialState.WAITING, params={"lr": 0.01, "k": (1, 2)})
        claimed = storage.claim_waiting("s", "w", None)
        assert claimed is not None
        record = storage.set_param("s", 0, "lr", Float(1e-4, 1.0, log=True), 0.01)
        assert dict(record.distributions) == {"lr": Float(1e-4, 1.0, log=True)}
        record = storage.set_param("s", 0, "k", Categorical([(1, 2), (3, 4)]), (1, 2))
        assert _same(dict(record.params), {"lr": 0.01, "k": (1, 2)})
        with pytest.raises(ValueError, match="'lr'"):
            storage.set_param("s", 0, "lr", Float(1e-4, 1.0, log=True), 0.02)
        with pytest.raises(ValueError, match="'k'"):  # a list is not the tuple
            storage.set_param("s", 0, "k", Categorical([[1, 2], (1, 2)]), [1, 2])

    def test_report(self, storage: Storage) -> None:
        self._study(storage)
        self._running(storage)
        storage.report("s", 0, 0, 0.5)
        storage.report("s", 0, 10, 0.25)
        seq = storage.changes_since("s", 0)[0]
        record = storage.report("s", 0, 10, 99.0)  # a step keeps its first value
        assert dict(record.intermediate) == {0: 0.5, 10: 0.25}
        assert storage.changes_since("s", seq) == (seq, [])
        record = storage.report("s", 0, 3, 0.1)  # steps need not come in order
        assert dict(record.intermediate) == {0: 0.5, 3: 0.1, 10: 0.25}
        assert record.last_step == 10
        stored = storage.get_trial("s", 0)
        assert dict(stored.intermediate) == {0: 0.5, 3: 0.1, 10: 0.25}
        assert all(type(v) is float and type(k) is int for k, v in stored.intermediate.items())

    def test_report_non_finite_and_exact(self, storage: Storage, readers: list[Storage]) -> None:
        self._study(storage)
        self._running(storage)
        values = [math.nan, math.inf, -math.inf, *EXACT_FLOATS]
        for step, value in enumerate(values):
            storage.report("s", 0, step, value)
        storage.report("s", 0, len(values), 3)  # an int value is stored as a float
        expected = {**dict(enumerate(values)), len(values): 3.0}
        for record in self._reads(readers, "s", 0):
            assert sorted(record.intermediate) == sorted(expected)
            for step, value in expected.items():
                assert _same(record.intermediate[step], value), (step, value)

    def test_set_trial_attr(self, storage: Storage) -> None:
        self._study(storage)
        self._running(storage, system_attrs={"retry_of": 3})
        storage.set_trial_attr("s", 0, "note", "first")
        storage.set_trial_attr("s", 0, "note", {"k": [1, (2.5, None)]})
        record = storage.set_trial_attr("s", 0, "host", "node-1", user=False)
        for r in (record, storage.get_trial("s", 0)):
            assert _same(dict(r.user_attrs), {"note": {"k": [1, (2.5, None)]}})
            assert _same(dict(r.system_attrs), {"retry_of": 3, "host": "node-1"})

    def test_renew_lease(self, storage: Storage) -> None:
        self._study(storage)
        self._running(storage)
        until = datetime(2032, 1, 1, 0, 0, 0, 1, tzinfo=timezone.utc)
        seq = storage.changes_since("s", 0)[0]
        storage.renew_lease("s", 0, until)
        new_seq, changed = storage.changes_since("s", seq)
        assert new_seq > seq
        assert [t.number for t in changed] == [0]
        assert storage.get_trial("s", 0).lease_until == until

    def test_fail_if_lease_expired(self, storage: Storage) -> None:
        self._study(storage)
        lease = datetime(2030, 1, 1, tzinfo=timezone.utc)
        self._running(storage, lease_until=lease)  # 0: leased
        self._running(storage)  # 1: no lease, never expires
        storage.create_trial("s", state=TrialState.WAITING)  # 2: waiting
        done = self._running(storage, lease_until=lease)  # 3: finished
        storage.finish("s", done.number, TrialState.COMPLETE, [1.0])
        before = lease - timedelta(seconds=1)
        after = lease + timedelta(microseconds=1)
        seq = storage.changes_since("s", 0)[0]
        assert storage.fail_if_lease_expired("s", 0, before, "LostWorker: x") is None
        assert storage.fail_if_lease_expired("s", 0, lease, "LostWorker: x") is None
        for number in (1, 2, 3):
            assert storage.fail_if_lease_expired("s", number, after, "LostWorker: x") is None
        assert storage.changes_since("s", seq) == (seq, [])  # nothing changed
        record = storage.fail_if_lease_expired("s", 0, after, "LostWorker: worker gone")
        assert record is not None
        assert record.state is TrialState.FAILED
        assert record.values is None
        assert record.lease_until is None
        assert record.finished_at is not None
        assert record.system_attrs["error"] == "LostWorker: worker gone"
        assert storage.get_trial("s", 0) == record
        assert storage.fail_if_lease_expired("s", 0, after, "LostWorker: again") is None
        with pytest.raises(KeyError):
            storage.fail_if_lease_expired("s", 99, after, "LostWorker: x")

    def test_fail_if_lease_expired_after_renewal(self, storage: Storage) -> None:
        self._study(storage)
        lease = datetime(2030, 1, 1, tzinfo=timezone.utc)
        self._running(storage, lease_until=lease)
        storage.renew_lease("s", 0, lease + timedelta(hours=1))
        assert storage.fail_if_lease_expired("s", 0, lease + timedelta(minutes=1), "x") is None
        assert storage.get_trial("s", 0).state is TrialState.RUNNING

    def test_fail_if_lease_expired_exactly_one_winner(self, storage: Storage) -> None:
        self._study(storage)
        lease = datetime(2030, 1, 1, tzinfo=timezone.utc)
        self._running(storage, lease_until=lease)
        after = lease + timedelta(seconds=5)

        def work(i: int) -> bool:
            return storage.fail_if_lease_expired("s", 0, after, f"LostWorker: by {i}") is not None

        wins = _in_threads(N_THREADS, work)
        assert sum(wins) == 1
        error = storage.get_trial("s", 0).system_attrs["error"]
        assert error == f"LostWorker: by {wins.index(True)}"

    # == finishing =========================================================================

    def test_finish(self, storage: Storage, clock: _StepClock) -> None:
        self._study(storage)
        lease = datetime(2030, 1, 1, tzinfo=timezone.utc)
        started = self._running(storage, lease_until=lease).started_at
        storage.report("s", 0, 1, 0.75)
        record = storage.finish("s", 0, TrialState.COMPLETE, [0.5])
        for r in (record, storage.get_trial("s", 0)):
            assert r.state is TrialState.COMPLETE
            assert r.values == (0.5,)
            assert r.value == 0.5
            assert r.started_at == started
            assert r.finished_at == clock.readings[-1]
            assert r.lease_until is None
            assert dict(r.intermediate) == {1: 0.75}
            assert "error" not in r.system_attrs

    def test_finish_values_are_floats(self, storage: Storage) -> None:
        self._study(storage, directions=(Direction.MINIMIZE, Direction.MAXIMIZE))
        self._running(storage)
        self._running(storage)
        record = storage.finish("s", 0, TrialState.COMPLETE, [3, -2.5])
        assert record.values == (3.0, -2.5)
        assert [type(v) for v in storage.get_trial("s", 0).values or ()] == [float, float]
        pruned = storage.finish("s", 1, TrialState.PRUNED, None)
        assert pruned.values is None
        assert storage.get_trial("s", 1).values is None

    def test_finish_a_waiting_trial_sets_started_at(
        self, storage: Storage, clock: _StepClock
    ) -> None:
        self._study(storage)
        storage.create_trial("s", state=TrialState.WAITING)
        record = storage.finish("s", 0, TrialState.FAILED, None, error="cancelled")
        assert record.started_at == record.finished_at == clock.readings[-1]

    def test_finish_rejects_unfinished_states(self, storage: Storage) -> None:
        self._study(storage)
        self._running(storage)
        for state in (TrialState.WAITING, TrialState.RUNNING):
            with pytest.raises(ValueError, match=state.name):
                storage.finish("s", 0, state, [1.0])
        assert storage.get_trial("s", 0).state is TrialState.RUNNING

    def test_error_text_in_system_attrs(self, storage: Storage) -> None:
        self._study(storage)
        self._running(storage, system_attrs={"retry_of": 0})
        text = 'Traceback (most recent call last):\n  ValueError: bad "lr" ünïcode'
        record = storage.finish("s", 0, TrialState.FAILED, None, error=text)
        for r in (record, storage.get_trial("s", 0)):
            assert r.state is TrialState.FAILED
            assert r.values is None
            assert _same(dict(r.system_attrs), {"retry_of": 0, "error": text})

    @pytest.mark.parametrize("state", [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED])
    def test_finished_trial_is_immutable(self, storage: Storage, state: TrialState) -> None:
        self._study(storage)
        self._running(storage)
        storage.set_param("s", 0, "x", Float(0.0, 1.0), 0.5)
        storage.report("s", 0, 0, 1.0)
        done = storage.finish("s", 0, state, [1.0] if state is TrialState.COMPLETE else None)
        seq = storage.changes_since("s", 0)[0]
        writes: list[Callable[[], object]] = [
            lambda: storage.set_param("s", 0, "x", Float(0.0, 1.0), 0.5),
            lambda: storage.set_param("s", 0, "y", Float(0.0, 1.0), 0.5),
            lambda: storage.report("s", 0, 1, 2.0),
            lambda: storage.report("s", 0, 0, 1.0),
            lambda: storage.finish("s", 0, TrialState.COMPLETE, [2.0]),
            lambda: storage.finish("s", 0, TrialState.FAILED, None, error="again"),
            lambda: storage.set_trial_attr("s", 0, "k", 1),
            lambda: storage.set_trial_attr("s", 0, "k", 1, user=False),
            lambda: storage.renew_lease("s", 0, datetime(2040, 1, 1, tzinfo=timezone.utc)),
        ]
        for write in writes:
            with pytest.raises(TrialFinishedError, match=f"trial 0 .*{state.name}"):
                write()
        assert storage.get_trial("s", 0) == done
        assert storage.changes_since("s", seq) == (seq, [])
        assert storage.claim_waiting("s", "w", None) is None

    def test_unknown_trial(self, storage: Storage) -> None:
        self._study(storage)
        self._running(storage)
        for number in (1, -1, 10**6):
            with pytest.raises(KeyError):
                storage.get_trial("s", number)
            with pytest.raises(KeyError):
                storage.report("s", number, 0, 1.0)
            with pytest.raises(KeyError):
                storage.finish("s", number, TrialState.COMPLETE, [1.0])

    # == change sequence ===================================================================

    def test_changes_since_is_incremental(self, storage: Storage) -> None:
        self._study(storage)
        self._study(storage, "other")
        assert storage.changes_since("s", 0) == (0, [])
        for _ in range(3):
            self._running(storage)
        seq0, everything = storage.changes_since("s", 0)
        assert sorted(t.number for t in everything) == [0, 1, 2]
        assert storage.changes_since("s", seq0) == (seq0, [])
        self._running(storage, "other")  # another study's writes are not ours
        assert storage.changes_since("s", seq0) == (seq0, [])

        writes: list[tuple[int, Callable[[], object]]] = [
            (1, lambda: storage.set_param("s", 1, "x", Float(0.0, 1.0), 0.5)),
            (2, lambda: storage.report("s", 2, 0, 0.5)),
            (0, lambda: storage.set_trial_attr("s", 0, "k", "v")),
            (1, lambda: storage.set_trial_attr("s", 1, "k", "v", user=False)),
            (2, lambda: storage.renew_lease("s", 2, datetime(2030, 1, 1, tzinfo=timezone.utc))),
            (0, lambda: storage.finish("s", 0, TrialState.COMPLETE, [1.0])),
            (3, lambda: storage.create_trial("s", state=TrialState.WAITING)),
            (3, lambda: storage.claim_waiting("s", "w", None)),
        ]
        seq = seq0
        for number, write in writes:
            write()
            new_seq, changed = storage.changes_since("s", seq)
            assert new_seq > seq
            assert [t.number for t in changed] == [number]
            assert changed[0] == storage.get_trial("s", number)
            seq = new_seq
        # Several changes since an older seq: each changed trial once, at its latest state.
        _, changed = storage.changes_since("s", seq0)
        assert sorted(t.number for t in changed) == [0, 1, 2, 3]
        assert {t.number: t for t in changed} == {n: storage.get_trial("s", n) for n in range(4)}
        assert storage.get_all_trials("s") == [storage.get_trial("s", n) for n in range(4)]

    def test_records_are_snapshots(self, storage: Storage) -> None:
        self._study(storage)
        first = self._running(storage)
        storage.set_param("s", 0, "x", Float(0.0, 1.0), 0.5)
        storage.report("s", 0, 0, 1.0)
        storage.finish("s", 0, TrialState.COMPLETE, [1.0])
        assert first.state is TrialState.RUNNING
        assert dict(first.params) == {}
        assert dict(first.intermediate) == {}
        assert first.values is None

    # == exact round trips =================================================================

    @pytest.mark.parametrize("index", range(len(TYPED_CHOICES)))
    def test_categorical_values_keep_their_type(
        self, storage: Storage, readers: list[Storage], index: int
    ) -> None:
        self._study(storage)
        self._running(storage)
        dist = Categorical(TYPED_CHOICES)
        storage.set_param("s", 0, "c", dist, TYPED_CHOICES[index])
        for record in self._reads(readers, "s", 0):
            assert _same(record.params["c"], TYPED_CHOICES[index])
            stored = record.distributions["c"]
            assert isinstance(stored, Categorical)
            assert _same(list(stored.choices), TYPED_CHOICES)

    def test_numbers_round_trip_exactly(self, storage: Storage, readers: list[Storage]) -> None:
        self._study(storage, directions=MIN * len(EXACT_FLOATS))
        params: dict[str, Any] = {f"f{i}": v for i, v in enumerate(EXACT_FLOATS)}
        params.update({f"i{i}": v for i, v in enumerate(BIG_INTS)})
        params.update({"nan": math.nan, "inf": math.inf, "one": 1.0, "int_one": 1})
        storage.create_trial("s", state=TrialState.WAITING, params=params)
        storage.claim_waiting("s", "w", None)
        storage.set_param("s", 0, "big", Int(0, 2**62, step=2), 2**61)
        storage.set_param("s", 0, "tiny", Float(1e-310, 1.0, log=True), 1e-300)
        storage.finish("s", 0, TrialState.COMPLETE, EXACT_FLOATS)
        expected = {**params, "big": 2**61, "tiny": 1e-300}
        for record in self._reads(readers, "s", 0):
            assert set(record.params) == set(expected)
            for name, value in expected.items():
                assert _same(record.params[name], value), name
            assert record.values == tuple(EXACT_FLOATS)

    def test_distributions_round_trip(self, storage: Storage, readers: list[Storage]) -> None:
        dists: dict[str, tuple[Distribution, Any]] = {
            "lin": (Float(-1.5, 2.5), 0.1),
            "log": (Float(1e-5, 1.0, log=True), 1e-3),
            "step": (Float(0.0, 1.0, step=0.1), 0.3),
            "int": (Int(-3, 7), -2),
            "int_step": (Int(0, 10, step=2), 4),
            "int_log": (Int(1, 1024, log=True), 32),
            "cat": (Categorical(["a", 2, 2.0, None, (1, "x")]), (1, "x")),
        }
        self._study(storage)
        self._running(storage)
        for name, (dist, value) in dists.items():
            storage.set_param("s", 0, name, dist, value)
        for record in self._reads(readers, "s", 0):
            for name, (dist, value) in dists.items():
                got = record.distributions[name]
                assert type(got) is type(dist)
                assert got == dist
                assert repr(got) == repr(dist)
                assert _same(record.params[name], value)

    def test_multi_objective_values(self, storage: Storage, readers: list[Storage]) -> None:
        directions = (Direction.MINIMIZE, Direction.MAXIMIZE, Direction.MINIMIZE)
        self._study(storage, directions=directions)
        self._running(storage)
        storage.finish("s", 0, TrialState.COMPLETE, [0.1, -2.0, 1e300])
        for reader in readers:
            assert reader.load_study("s").directions == directions
        for record in self._reads(readers, "s", 0):
            assert record.values == (0.1, -2.0, 1e300)
            assert record.value is None

    def test_nested_attrs_round_trip(self, storage: Storage, readers: list[Storage]) -> None:
        nested = {
            "list": [1, 2.0, "3", None, True, [], {}],
            "dict": {"b": {"c": [{"d": 1.5}]}, "a": False},
            "tuple": (1, (2, [3])),
            "unicode": "ζ – ✓",
            "big": 2**70,
        }
        self._study(storage, config={"space": nested})
        storage.set_study_attr("s", "meta", nested)
        self._running(storage, user_attrs={"init": nested})
        storage.set_trial_attr("s", 0, "later", nested)
        storage.set_trial_attr("s", 0, "sys", nested, user=False)
        for reader in readers:
            study = reader.load_study("s")
            assert _same(study.config["space"], nested)
            assert _same(study.user_attrs["meta"], nested)
        for record in self._reads(readers, "s", 0):
            assert _same(dict(record.user_attrs), {"init": nested, "later": nested})
            assert _same(record.system_attrs["sys"], nested)

    def test_timestamps_round_trip(
        self, storage: Storage, readers: list[Storage], clock: _StepClock
    ) -> None:
        self._study(storage)
        lease = datetime(2033, 3, 3, 3, 3, 3, 999999, tzinfo=timezone.utc)
        self._running(storage, lease_until=lease)
        started = clock.readings[-1]
        storage.create_trial("s", state=TrialState.WAITING)
        storage.finish("s", 1, TrialState.PRUNED)
        finished = clock.readings[-1]
        for reader in readers:
            running = reader.get_trial("s", 0)
            assert running.started_at == started
            assert running.lease_until == lease
            assert running.started_at is not None
            assert running.started_at.utcoffset() == timedelta(0)
            done = reader.get_trial("s", 1)
            assert done.finished_at == finished
            assert done.duration == 0.0
