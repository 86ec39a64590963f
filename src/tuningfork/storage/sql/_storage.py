"""SQL storage (SQLite embedded, PostgreSQL for many machines) on SQLAlchemy Core.

Concurrency model: every trial write runs in one short transaction that first locks the
study's row (``SELECT ... FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` takes SQLite's single
write lock) and then increments the study's change sequence number. Writers of one study are
therefore serialized, which gives gap-free trial numbers, exactly-once counters and claims, and
sequence numbers that are handed out in commit order, so ``changes_since`` never skips a change
that commits late. Transient lock errors are retried with exponential backoff and jitter; a
retried transaction was rolled back, so nothing is applied twice.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timezone
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from tuningfork._core.clock import SYSTEM_CLOCK, Clock
from tuningfork._core.errors import StorageError, StudyExistsError, TrialFinishedError
from tuningfork._core.records import Direction, StudyRecord, TrialRecord, TrialState
from tuningfork._core.rng import trial_seed
from tuningfork.space import (
    Distribution,
    decode_value,
    distribution_from_dict,
    distribution_to_dict,
    encode_value,
)
from tuningfork.storage._base import Storage
from tuningfork.storage._checks import check_param_value, check_study_name, unknown_study
from tuningfork.storage._url import mask_password
from tuningfork.storage.sql import _engine
from tuningfork.storage.sql._schema import counters, intermediate_values, studies, trials

T = TypeVar("T")

_KIND_FINITE, _KIND_NAN, _KIND_POSINF, _KIND_NEGINF = 0, 1, 2, 3
_PG_RETRYABLE = frozenset({"40001", "40P01", "55P03"})  # serialization, deadlock, lock n/a


class SQLStorage(Storage):
    """Studies and trials in a SQL database: ``sqlite:///path.db`` or ``postgresql://...``.

    Safe to use from many threads (connections come from a pool) and from many processes
    (each process opens its own ``SQLStorage``; pickling ships the URL and options, and the
    receiving process reconnects). SQLite files must be on a local disk.

    ``busy_timeout`` (seconds) is how long one attempt waits for a lock; ``retries`` is how
    many more attempts a transaction that still found the database locked gets.
    """

    def __init__(
        self,
        url: str,
        *,
        busy_timeout: float = 30.0,
        retries: int = 8,
        clock: Clock = SYSTEM_CLOCK,
        echo: bool = False,
    ) -> None:
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, got {type(url).__name__}")
        if busy_timeout <= 0:
            raise ValueError(f"busy_timeout must be > 0 seconds, got {busy_timeout!r}")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries!r}")
        self._url = url
        self._masked = mask_password(url)
        self._busy_timeout = float(busy_timeout)
        self._retries = int(retries)
        self._clock = clock
        self._echo = echo
        self._jitter = random.Random()  # own instance: global random state is not ours
        try:
            parsed = make_url(_engine.normalize_url(url))
        except Exception as exc:  # sqlalchemy raises ArgumentError for malformed URLs
            raise StorageError(f"storage URL {self._masked!r} is not valid: {exc}") from None
        self._is_sqlite = parsed.get_backend_name() == "sqlite"
        database = _engine.sqlite_database(parsed) if self._is_sqlite else None
        if database is not None:
            _engine.check_not_network_filesystem(database, self._masked)
        # An in-memory SQLite database is one shared connection: transactions must take turns.
        self._serial: threading.RLock | None = (
            threading.RLock() if self._is_sqlite and database is None else None
        )
        self._engine = _engine.create_engine(
            parsed.render_as_string(hide_password=False),
            busy_timeout=self._busy_timeout,
            echo=echo,
        )
        try:
            self._retrying(lambda: _engine.migrate(self._engine, self._masked), doing="cannot open")
        except BaseException:
            self._engine.dispose()
            raise

    # -- lifecycle ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"SQLStorage({self._masked!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        if self._serial is not None:
            raise TypeError(
                f"{self!r} is an in-memory SQLite database, which another process cannot "
                "open; use a file ('sqlite:///path.db') to share a study between processes"
            )
        options = {
            "busy_timeout": self._busy_timeout,
            "retries": self._retries,
            "clock": self._clock,
            "echo": self._echo,
        }
        return (_reopen, (self._url, options))

    @property
    def url(self) -> str:
        """The URL with its password masked (safe to print)."""
        return self._masked

    def close(self) -> None:
        self._engine.dispose()

    # -- transactions --------------------------------------------------------------------

    def _transient(self, exc: DBAPIError) -> bool:
        if self._is_sqlite:
            text = str(exc.orig).lower()
            return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)
        return getattr(exc.orig, "sqlstate", None) in _PG_RETRYABLE

    def _retrying(self, attempt: Callable[[], T], doing: str = "a transaction failed") -> T:
        delay = 0.01
        for n in range(self._retries + 1):
            try:
                return attempt()
            except DBAPIError as exc:
                if isinstance(exc, IntegrityError):
                    raise
                if n == self._retries or not self._transient(exc):
                    reason = str(exc.orig).strip() or type(exc.orig).__name__
                    tries = f" (after {n + 1} attempts)" if n else ""
                    raise StorageError(
                        f"storage {self._masked!r}: {doing}: {reason}{tries}"
                    ) from exc
            time.sleep(delay * (0.5 + self._jitter.random()))
            delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _lock(self) -> AbstractContextManager[Any]:
        return self._serial if self._serial is not None else nullcontext()

    def _run(self, fn: Callable[[sa.Connection], T], *, write: bool) -> T:
        def attempt() -> T:
            with self._lock(), self._engine.connect() as conn:
                if write:
                    conn.execution_options(**{_engine.WRITE_OPTION: True})
                with conn.begin():
                    return fn(conn)

        return self._retrying(attempt)

    def _write(self, fn: Callable[[sa.Connection], T]) -> T:
        return self._run(fn, write=True)

    def _read(self, fn: Callable[[sa.Connection], T]) -> T:
        return self._run(fn, write=False)

    # -- row helpers ---------------------------------------------------------------------

    def _study_row(self, conn: sa.Connection, name: str, *, lock: bool) -> sa.Row[Any]:
        query = sa.select(studies).where(studies.c.name == name)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            known = conn.execute(sa.select(studies.c.name).order_by(studies.c.id)).scalars()
            raise unknown_study(name, list(known))
        return row

    def _trial_row(self, conn: sa.Connection, study: sa.Row[Any], number: int) -> sa.Row[Any]:
        row = conn.execute(
            sa.select(trials).where(trials.c.study_id == study.id, trials.c.number == number)
        ).first()
        if row is None:
            raise KeyError(f"study {study.name!r} has no trial {number}")
        return row

    def _unfinished(self, conn: sa.Connection, study: sa.Row[Any], number: int) -> sa.Row[Any]:
        row = self._trial_row(conn, study, number)
        state = TrialState(row.state)
        if state.is_finished():
            raise TrialFinishedError(
                f"trial {number} of study {study.name!r} is {state.name} and can no longer change"
            )
        return row

    def _bump(self, conn: sa.Connection, study: sa.Row[Any]) -> int:
        seq = int(study.seq) + 1
        conn.execute(sa.update(studies).where(studies.c.id == study.id).values(seq=seq))
        return seq

    def _update_trial(
        self, conn: sa.Connection, study: sa.Row[Any], row: sa.Row[Any], **values: Any
    ) -> TrialRecord:
        seq = self._bump(conn, study)
        conn.execute(sa.update(trials).where(trials.c.id == row.id).values(seq=seq, **values))
        return self._fetch(conn, study.id, trials.c.id == row.id)[0]

    def _fetch(
        self, conn: sa.Connection, study_id: int, condition: sa.ColumnElement[bool]
    ) -> list[TrialRecord]:
        where = sa.and_(trials.c.study_id == study_id, condition)
        rows = conn.execute(sa.select(trials).where(where).order_by(trials.c.number)).all()
        if not rows:
            return []
        inter: dict[int, dict[int, float]] = {}
        iv = intermediate_values
        for trial_id, step, value, kind in conn.execute(
            sa.select(iv.c.trial_id, iv.c.step, iv.c.value, iv.c.value_kind)
            .join(trials, iv.c.trial_id == trials.c.id)
            .where(where)
            .order_by(iv.c.trial_id, iv.c.step)
        ):
            inter.setdefault(trial_id, {})[int(step)] = _decode_float(value, kind)
        return [_record(row, inter.get(row.id, {})) for row in rows]

    # -- studies -------------------------------------------------------------------------

    def create_study(
        self,
        name: str,
        directions: Sequence[Direction],
        seed: int,
        config: Mapping[str, Any] | None = None,
    ) -> StudyRecord:
        check_study_name(name)
        dirs = tuple(Direction.parse(d) for d in directions)
        config_text = _dumps_attrs(config or {}, "config")
        now = self._clock.now()

        def fn(conn: sa.Connection) -> StudyRecord:
            if conn.execute(sa.select(studies.c.id).where(studies.c.name == name)).first():
                raise _study_exists(name)
            conn.execute(
                sa.insert(studies).values(
                    name=name,
                    directions=json.dumps([int(d) for d in dirs]),
                    seed=int(seed),
                    config=config_text,
                    user_attrs="{}",
                    created_at=now,
                    seq=0,
                    next_number=0,
                )
            )
            return _study_record(self._study_row(conn, name, lock=False))

        try:
            return self._write(fn)
        except IntegrityError:  # another process created it between our check and insert
            raise _study_exists(name) from None

    def load_study(self, name: str) -> StudyRecord:
        return self._read(lambda conn: _study_record(self._study_row(conn, name, lock=False)))

    def list_studies(self) -> list[StudyRecord]:
        def fn(conn: sa.Connection) -> list[StudyRecord]:
            rows = conn.execute(sa.select(studies).order_by(studies.c.id))
            return [_study_record(row) for row in rows]

        return self._read(fn)

    def delete_study(self, name: str) -> None:
        def fn(conn: sa.Connection) -> None:
            study = self._study_row(conn, name, lock=True)
            trial_ids = sa.select(trials.c.id).where(trials.c.study_id == study.id)
            iv = intermediate_values
            conn.execute(sa.delete(iv).where(iv.c.trial_id.in_(trial_ids)))
            conn.execute(sa.delete(trials).where(trials.c.study_id == study.id))
            conn.execute(sa.delete(counters).where(counters.c.study_id == study.id))
            conn.execute(sa.delete(studies).where(studies.c.id == study.id))

        self._write(fn)

    def set_study_attr(self, study: str, key: str, value: Any, *, user: bool = True) -> None:
        _check_key(key)
        encoded = _encode_attr(key, value)
        column = "user_attrs" if user else "config"

        def fn(conn: sa.Connection) -> None:
            row = self._study_row(conn, study, lock=True)
            attrs = json.loads(getattr(row, column))
            attrs[key] = encoded
            conn.execute(
                sa.update(studies)
                .where(studies.c.id == row.id)
                .values({column: json.dumps(attrs, allow_nan=False)})
            )

        self._write(fn)

    def next_counter(self, study: str, key: str) -> int:
        _check_key(key)

        def fn(conn: sa.Connection) -> int:
            row = self._study_row(conn, study, lock=True)  # serializes this study's counters
            where = sa.and_(counters.c.study_id == row.id, counters.c.key == key)
            current = conn.execute(sa.select(counters.c.value).where(where)).scalar()
            if current is None:
                conn.execute(sa.insert(counters).values(study_id=row.id, key=key, value=1))
                return 0
            conn.execute(sa.update(counters).where(where).values(value=current + 1))
            return int(current)

        return self._write(fn)

    # -- trials --------------------------------------------------------------------------

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
        values = {
            "state": int(state),
            "params": _dumps_attrs(params or {}, "params"),
            "distributions": _dumps_distributions(distributions or {}),
            "objective_values": None,
            "user_attrs": _dumps_attrs(user_attrs or {}, "user_attrs"),
            "system_attrs": _dumps_attrs(system_attrs or {}, "system_attrs"),
            "started_at": self._clock.now() if state is TrialState.RUNNING else None,
            "finished_at": None,
            "lease_until": lease_until,
        }

        def fn(conn: sa.Connection) -> TrialRecord:
            row = self._study_row(conn, study, lock=True)
            number = int(row.next_number)
            seq = int(row.seq) + 1
            conn.execute(
                sa.update(studies)
                .where(studies.c.id == row.id)
                .values(seq=seq, next_number=number + 1)
            )
            conn.execute(
                sa.insert(trials).values(
                    study_id=row.id,
                    number=number,
                    seed=trial_seed(int(row.seed), number),
                    seq=seq,
                    **values,
                )
            )
            return self._fetch(conn, row.id, trials.c.number == number)[0]

        return self._write(fn)

    def claim_waiting(
        self, study: str, worker: str, lease_until: datetime | None
    ) -> TrialRecord | None:
        now = self._clock.now()

        def fn(conn: sa.Connection) -> TrialRecord | None:
            row = self._study_row(conn, study, lock=True)
            query = (
                sa.select(trials)
                .where(trials.c.study_id == row.id, trials.c.state == int(TrialState.WAITING))
                .order_by(trials.c.number)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            waiting = conn.execute(query).first()
            if waiting is None:
                return None
            attrs = json.loads(waiting.system_attrs)
            attrs["worker"] = _encode_attr("worker", worker)
            return self._update_trial(
                conn,
                row,
                waiting,
                state=int(TrialState.RUNNING),
                started_at=now,
                lease_until=lease_until,
                system_attrs=json.dumps(attrs, allow_nan=False),
            )

        return self._write(fn)

    def set_param(
        self, study: str, number: int, name: str, distribution: Distribution, value: Any
    ) -> TrialRecord:
        check_param_value(name, value)
        dist_dict = distribution_to_dict(distribution)

        def fn(conn: sa.Connection) -> TrialRecord:
            row = self._study_row(conn, study, lock=True)
            trial = self._unfinished(conn, row, number)
            params = _loads_attrs(trial.params)
            check_param_value(name, value, params, distribution)
            stored = json.loads(trial.params)
            stored[name] = encode_value(value)
            dists = json.loads(trial.distributions)
            dists[name] = dist_dict
            return self._update_trial(
                conn,
                row,
                trial,
                params=json.dumps(stored, allow_nan=False),
                distributions=json.dumps(dists, allow_nan=False),
            )

        return self._write(fn)

    def report(self, study: str, number: int, step: int, value: float) -> TrialRecord:
        if isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"step must be an int, got {step!r}")
        stored, kind = _encode_float(float(value))

        def fn(conn: sa.Connection) -> TrialRecord:
            row = self._study_row(conn, study, lock=True)
            trial = self._unfinished(conn, row, number)
            iv = intermediate_values
            exists = conn.execute(
                sa.select(iv.c.id).where(iv.c.trial_id == trial.id, iv.c.step == step)
            ).first()
            if exists is not None:  # the first value of a step is kept
                return self._fetch(conn, row.id, trials.c.id == trial.id)[0]
            conn.execute(
                sa.insert(iv).values(trial_id=trial.id, step=step, value=stored, value_kind=kind)
            )
            return self._update_trial(conn, row, trial)

        return self._write(fn)

    def set_trial_attr(
        self, study: str, number: int, key: str, value: Any, *, user: bool = True
    ) -> TrialRecord:
        _check_key(key)
        encoded = _encode_attr(key, value)
        column = "user_attrs" if user else "system_attrs"

        def fn(conn: sa.Connection) -> TrialRecord:
            row = self._study_row(conn, study, lock=True)
            trial = self._unfinished(conn, row, number)
            attrs = json.loads(getattr(trial, column))
            attrs[key] = encoded
            return self._update_trial(
                conn, row, trial, **{column: json.dumps(attrs, allow_nan=False)}
            )

        return self._write(fn)

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
        values_text = (
            None
            if values is None
            else json.dumps([encode_value(float(v)) for v in values], allow_nan=False)
        )
        now = self._clock.now()

        def fn(conn: sa.Connection) -> TrialRecord:
            row = self._study_row(conn, study, lock=True)
            trial = self._unfinished(conn, row, number)
            changes: dict[str, Any] = {
                "state": int(state),
                "objective_values": values_text,
                "finished_at": now,
                "lease_until": None,
            }
            if trial.started_at is None:
                changes["started_at"] = now
            if error is not None:
                attrs = json.loads(trial.system_attrs)
                attrs["error"] = encode_value(str(error))
                changes["system_attrs"] = json.dumps(attrs, allow_nan=False)
            return self._update_trial(conn, row, trial, **changes)

        return self._write(fn)

    def renew_lease(self, study: str, number: int, until: datetime) -> None:
        def fn(conn: sa.Connection) -> None:
            row = self._study_row(conn, study, lock=True)
            trial = self._unfinished(conn, row, number)
            seq = self._bump(conn, row)
            conn.execute(
                sa.update(trials).where(trials.c.id == trial.id).values(seq=seq, lease_until=until)
            )

        self._write(fn)

    def fail_if_lease_expired(
        self, study: str, number: int, now: datetime, error: str
    ) -> TrialRecord | None:
        finished_at = self._clock.now()

        def fn(conn: sa.Connection) -> TrialRecord | None:
            # The study row lock serializes this check-and-finish with every other writer of
            # the study, so two workers noticing the same expired lease cannot both win.
            row = self._study_row(conn, study, lock=True)
            trial = self._trial_row(conn, row, number)
            lease = trial.lease_until
            if TrialState(trial.state) is not TrialState.RUNNING or lease is None:
                return None
            if not _aware(lease) < _aware(now):
                return None
            attrs = json.loads(trial.system_attrs)
            attrs["error"] = encode_value(str(error))
            return self._update_trial(
                conn,
                row,
                trial,
                state=int(TrialState.FAILED),
                objective_values=None,
                finished_at=finished_at,
                lease_until=None,
                system_attrs=json.dumps(attrs, allow_nan=False),
            )

        return self._write(fn)

    def get_trial(self, study: str, number: int) -> TrialRecord:
        def fn(conn: sa.Connection) -> TrialRecord:
            row = self._study_row(conn, study, lock=False)
            found = self._fetch(conn, row.id, trials.c.number == number)
            if not found:
                raise KeyError(f"study {study!r} has no trial {number}")
            return found[0]

        return self._read(fn)

    def changes_since(self, study: str, seq: int) -> tuple[int, list[TrialRecord]]:
        def fn(conn: sa.Connection) -> tuple[int, list[TrialRecord]]:
            # Read the study's seq first: on PostgreSQL each statement sees the commits made
            # before it started, so every change numbered <= current is visible to the trial
            # query below. Newer changes may show up too; they are returned again next time.
            row = self._study_row(conn, study, lock=False)
            current = int(row.seq)
            if seq >= current:
                return current, []
            changed = self._fetch(conn, row.id, trials.c.seq > seq)
            return current, changed

        return self._read(fn)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _reopen(url: str, options: dict[str, Any]) -> SQLStorage:
    return SQLStorage(url, **options)


# -- encoding --------------------------------------------------------------------------------


def _study_exists(name: str) -> StudyExistsError:
    return StudyExistsError(
        f"a study named {name!r} already exists; pass load_if_exists=True to continue it, "
        "or choose another name"
    )


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key:
        raise ValueError(f"an attribute key must be a non-empty string, got {key!r}")


def _encode_attr(key: str, value: Any) -> Any:
    try:
        return encode_value(value)
    except TypeError as exc:
        raise ValueError(f"attribute {key!r}: {exc}") from None


def _dumps_attrs(attrs: Mapping[str, Any], what: str) -> str:
    out = {}
    for key, value in attrs.items():
        if not isinstance(key, str):
            raise ValueError(f"{what}: keys must be strings, got {key!r}")
        out[key] = _encode_attr(key, value)
    return json.dumps(out, allow_nan=False)


def _loads_attrs(text: str) -> dict[str, Any]:
    return {key: decode_value(value) for key, value in json.loads(text).items()}


def _dumps_distributions(distributions: Mapping[str, Distribution]) -> str:
    return json.dumps(
        {name: distribution_to_dict(d) for name, d in distributions.items()}, allow_nan=False
    )


def _encode_float(value: float) -> tuple[float | None, int]:
    if math.isnan(value):
        return None, _KIND_NAN
    if math.isinf(value):
        return None, _KIND_POSINF if value > 0 else _KIND_NEGINF
    return value, _KIND_FINITE


def _decode_float(value: float | None, kind: int) -> float:
    if kind == _KIND_NAN:
        return math.nan
    if kind == _KIND_POSINF:
        return math.inf
    if kind == _KIND_NEGINF:
        return -math.inf
    assert value is not None
    return float(value)


def _study_record(row: sa.Row[Any]) -> StudyRecord:
    return StudyRecord(
        name=row.name,
        directions=tuple(Direction(d) for d in json.loads(row.directions)),
        seed=int(row.seed),
        config=_loads_attrs(row.config),
        user_attrs=_loads_attrs(row.user_attrs),
        created_at=row.created_at,
    )


def _record(row: sa.Row[Any], intermediate: dict[int, float]) -> TrialRecord:
    raw_values = row.objective_values
    return TrialRecord(
        number=int(row.number),
        state=TrialState(row.state),
        seed=int(row.seed),
        params=_loads_attrs(row.params),
        distributions={
            name: distribution_from_dict(d) for name, d in json.loads(row.distributions).items()
        },
        values=None
        if raw_values is None
        else tuple(float(v) for v in decode_value(json.loads(raw_values))),
        intermediate=intermediate,
        user_attrs=_loads_attrs(row.user_attrs),
        system_attrs=_loads_attrs(row.system_attrs),
        started_at=row.started_at,
        finished_at=row.finished_at,
        lease_until=row.lease_until,
    )
