"""In-memory storage: one process, any number of threads. Lost when the process ends."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from tuningfork._core.clock import SYSTEM_CLOCK, Clock
from tuningfork._core.errors import StudyExistsError, TrialFinishedError
from tuningfork._core.records import Direction, StudyRecord, TrialRecord, TrialState
from tuningfork._core.rng import trial_seed
from tuningfork.space import Distribution
from tuningfork.storage._base import Storage
from tuningfork.storage._checks import (
    check_param_value,
    check_study_name,
    stored_attrs,
    stored_copy,
    unknown_study,
)


class _StudyData:
    def __init__(self, record: StudyRecord) -> None:
        self.record = record
        self.trials: list[TrialRecord] = []
        self.seqs: list[int] = []  # seqs[i] = sequence number of trials[i]'s last change
        self.seq = 0
        self.counters: dict[str, int] = {}


class InMemoryStorage(Storage):
    """Thread-safe storage in this process's memory (one lock; every method is atomic)."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._studies: dict[str, _StudyData] = {}

    def __repr__(self) -> str:
        return "InMemoryStorage()"

    def _study(self, name: str) -> _StudyData:
        try:
            return self._studies[name]
        except KeyError:
            raise unknown_study(name, list(self._studies)) from None

    def _trial(self, data: _StudyData, number: int) -> TrialRecord:
        if not 0 <= number < len(data.trials):
            raise KeyError(f"study {data.record.name!r} has no trial {number}")
        return data.trials[number]

    def _put(self, data: _StudyData, record: TrialRecord) -> TrialRecord:
        data.seq += 1
        if record.number == len(data.trials):
            data.trials.append(record)
            data.seqs.append(data.seq)
        else:
            data.trials[record.number] = record
            data.seqs[record.number] = data.seq
        return record

    def _unfinished(self, data: _StudyData, number: int) -> TrialRecord:
        record = self._trial(data, number)
        if record.state.is_finished():
            raise TrialFinishedError(
                f"trial {number} of study {data.record.name!r} is {record.state.name} and can "
                "no longer change"
            )
        return record

    # studies -----------------------------------------------------------------------------
    def create_study(
        self,
        name: str,
        directions: Sequence[Direction],
        seed: int,
        config: Mapping[str, Any] | None = None,
    ) -> StudyRecord:
        check_study_name(name)
        with self._lock:
            if name in self._studies:
                raise StudyExistsError(
                    f"a study named {name!r} already exists; pass load_if_exists=True to "
                    "continue it, or choose another name"
                )
            record = StudyRecord(
                name=name,
                directions=tuple(directions),
                seed=seed,
                config=stored_attrs(config),
                created_at=self._clock.now(),
            )
            self._studies[name] = _StudyData(record)
            return record

    def load_study(self, name: str) -> StudyRecord:
        with self._lock:
            return self._study(name).record

    def list_studies(self) -> list[StudyRecord]:
        with self._lock:
            return [d.record for d in self._studies.values()]

    def delete_study(self, name: str) -> None:
        with self._lock:
            self._study(name)
            del self._studies[name]

    def set_study_attr(self, study: str, key: str, value: Any, *, user: bool = True) -> None:
        with self._lock:
            data = self._study(study)
            if user:
                data.record = replace(
                    data.record, user_attrs={**data.record.user_attrs, key: stored_copy(key, value)}
                )
            else:
                data.record = replace(
                    data.record, config={**data.record.config, key: stored_copy(key, value)}
                )

    def next_counter(self, study: str, key: str) -> int:
        with self._lock:
            data = self._study(study)
            value = data.counters.get(key, 0)
            data.counters[key] = value + 1
            return value

    # trials ------------------------------------------------------------------------------
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
        if state not in (TrialState.WAITING, TrialState.RUNNING):
            raise ValueError(f"a new trial is WAITING or RUNNING, not {state.name}")
        for name, value in (params or {}).items():
            check_param_value(name, value)
        with self._lock:
            data = self._study(study)
            number = len(data.trials)
            record = TrialRecord(
                number=number,
                state=state,
                seed=trial_seed(data.record.seed, number),
                params=dict(params or {}),
                distributions=dict(distributions or {}),
                user_attrs=stored_attrs(user_attrs),
                system_attrs=stored_attrs(system_attrs),
                started_at=self._clock.now() if state is TrialState.RUNNING else None,
                lease_until=lease_until,
            )
            return self._put(data, record)

    def claim_waiting(
        self, study: str, worker: str, lease_until: datetime | None
    ) -> TrialRecord | None:
        with self._lock:
            data = self._study(study)
            for record in data.trials:
                if record.state is TrialState.WAITING:
                    claimed = record.evolve(
                        state=TrialState.RUNNING,
                        started_at=self._clock.now(),
                        lease_until=lease_until,
                        system_attrs={**record.system_attrs, "worker": worker},
                    )
                    return self._put(data, claimed)
            return None

    def set_param(
        self, study: str, number: int, name: str, distribution: Distribution, value: Any
    ) -> TrialRecord:
        check_param_value(name, value)
        with self._lock:
            data = self._study(study)
            record = self._unfinished(data, number)
            check_param_value(name, value, record.params, distribution)
            return self._put(
                data,
                record.evolve(
                    params={**record.params, name: value},
                    distributions={**record.distributions, name: distribution},
                ),
            )

    def report(self, study: str, number: int, step: int, value: float) -> TrialRecord:
        with self._lock:
            data = self._study(study)
            record = self._unfinished(data, number)
            if step in record.intermediate:
                return record
            return self._put(
                data, record.evolve(intermediate={**record.intermediate, step: float(value)})
            )

    def set_trial_attr(
        self, study: str, number: int, key: str, value: Any, *, user: bool = True
    ) -> TrialRecord:
        with self._lock:
            data = self._study(study)
            record = self._unfinished(data, number)
            value = stored_copy(key, value)
            field = "user_attrs" if user else "system_attrs"
            return self._put(data, record.evolve(**{field: {**getattr(record, field), key: value}}))

    def finish(
        self,
        study: str,
        number: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        error: str | None = None,
    ) -> TrialRecord:
        if not state.is_finished():
            raise ValueError(f"finish takes COMPLETE, PRUNED or FAILED, not {state.name}")
        with self._lock:
            data = self._study(study)
            record = self._unfinished(data, number)
            system_attrs = dict(record.system_attrs)
            if error is not None:
                system_attrs["error"] = error
            now = self._clock.now()  # one reading: a never-started trial has duration 0
            return self._put(
                data,
                record.evolve(
                    state=state,
                    values=None if values is None else tuple(float(v) for v in values),
                    system_attrs=system_attrs,
                    finished_at=now,
                    started_at=record.started_at or now,
                    lease_until=None,
                ),
            )

    def renew_lease(self, study: str, number: int, until: datetime) -> None:
        with self._lock:
            data = self._study(study)
            record = self._unfinished(data, number)
            self._put(data, record.evolve(lease_until=until))

    def fail_if_lease_expired(
        self, study: str, number: int, now: datetime, error: str
    ) -> TrialRecord | None:
        with self._lock:
            record = self._trial(self._study(study), number)
            if (
                record.state is not TrialState.RUNNING
                or record.lease_until is None
                or not record.lease_until < now
            ):
                return None
            return self.finish(study, number, TrialState.FAILED, None, error)

    def get_trial(self, study: str, number: int) -> TrialRecord:
        with self._lock:
            return self._trial(self._study(study), number)

    def changes_since(self, study: str, seq: int) -> tuple[int, list[TrialRecord]]:
        with self._lock:
            data = self._study(study)
            if seq >= data.seq:
                return data.seq, []
            return data.seq, [t for t, s in zip(data.trials, data.seqs, strict=True) if s > seq]
