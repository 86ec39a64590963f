"""The Study facade: the one place that composes storage, samplers, schedulers and analysis."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

from tuningfork._core.errors import SearchSpaceExhausted, StudyExistsError, StudyNotFoundError
from tuningfork._core.history import History
from tuningfork._core.records import (
    Decision,
    Direction,
    StudyRecord,
    TrialRecord,
    TrialState,
    validate_values,
)
from tuningfork._core.rng import check_seed, new_study_seed, trial_rng
from tuningfork.analysis import SelectionResult, best_trial, pareto_front, trials_dataframe
from tuningfork.analysis._selection import REEVALUATION_OF
from tuningfork.samplers import RandomSampler, Sampler
from tuningfork.samplers._finite import FIXED_ATTR, PROPOSAL_ATTR
from tuningfork.schedulers import Scheduler
from tuningfork.space import (
    Distribution,
    SearchSpace,
    dumps_value,
    encode_value,
    space_from_dict,
    space_from_spec,
    space_to_dict,
)
from tuningfork.storage import Storage, open_storage
from tuningfork.storage._url import sqlite_path
from tuningfork.study import _guards
from tuningfork.study._infer import infer_space
from tuningfork.study._lease import (
    DEFAULT_LEASE_DURATION,
    DEFAULT_RETRIES,
    Heartbeat,
    check_lease_duration,
    check_retries,
    lease_until,
    lost_worker_error,
    retry_attrs,
    utcnow,
)
from tuningfork.study._trial import Trial

logger = logging.getLogger("tuningfork")

ObjectiveResult = float | Sequence[float]


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Study:
    """A named set of trials with one or more directions, backed by a storage.

    Use :func:`create_study` or :func:`load_study` to get one. A Study object may be used from
    many threads; several processes or machines share a study through a SQL storage.

    ``lease_duration`` (seconds, default 60; ``None``: no lease) is how long a trial started by
    ``ask`` stays RUNNING without news from its worker: a heartbeat thread renews the lease every
    ``heartbeat_interval`` seconds (default: a third of the lease) until ``tell``. A trial whose
    lease ended is marked FAILED ("LostWorker: ...") by the next ``ask`` of any worker, and
    queued again with the same parameters ``retries`` times (a study setting, default 1).
    """

    def __init__(
        self,
        storage: Storage,
        record: StudyRecord,
        sampler: Sampler | None = None,
        scheduler: Scheduler | None = None,
        space: SearchSpace | None = None,
        *,
        lease_duration: float | None = DEFAULT_LEASE_DURATION,
    ) -> None:
        self._storage = storage
        self._record = record
        self.sampler: Sampler = sampler if sampler is not None else RandomSampler()
        self.scheduler = scheduler
        self._space = space
        self._lock = threading.RLock()
        self._history = History(record.directions)
        self._exhausted_message: str | None = None
        self.last_objective: Callable[..., Any] | None = None
        self._heartbeat = Heartbeat(storage, record.name, check_lease_duration(lease_duration))

    def __repr__(self) -> str:
        return f"Study(name={self.name!r}, directions={[d.name.lower() for d in self.directions]})"

    # -- identity ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._record.name

    @property
    def storage(self) -> Storage:
        return self._storage

    @property
    def seed(self) -> int:
        return self._record.seed

    @property
    def directions(self) -> tuple[Direction, ...]:
        return self._record.directions

    @property
    def direction(self) -> Direction:
        if len(self.directions) != 1:
            raise ValueError(
                f"study {self.name!r} has {len(self.directions)} objectives; use directions"
            )
        return self.directions[0]

    @property
    def space(self) -> SearchSpace | None:
        """The declared search space, or ``None`` for a define-by-run study."""
        return self._space

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._storage.load_study(self.name).user_attrs)

    @property
    def config(self) -> dict[str, Any]:
        return dict(self._storage.load_study(self.name).config)

    @property
    def lease_duration(self) -> float | None:
        """Seconds a running trial's lease lasts between heartbeats (``None``: no lease, the
        trials this Study object starts are never recovered as lost)."""
        return self._heartbeat.duration

    @lease_duration.setter
    def lease_duration(self, value: float | None) -> None:
        self._heartbeat.duration = check_lease_duration(value)

    @property
    def heartbeat_interval(self) -> float | None:
        """Seconds between lease renewals (``None``: a third of ``lease_duration``)."""
        return self._heartbeat.interval

    @heartbeat_interval.setter
    def heartbeat_interval(self, value: float | None) -> None:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0
        ):
            raise ValueError(f"heartbeat_interval must be seconds > 0 or None, got {value!r}")
        self._heartbeat.interval = None if value is None else float(value)

    @property
    def retries(self) -> int:
        """How many times a trial lost with its worker is queued again (stored with the study)."""
        return int(self._record.config.get("retries", DEFAULT_RETRIES))

    def set_user_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_attr(self.name, key, value, user=True)

    # -- reading -----------------------------------------------------------------------------
    def history(self) -> History:
        """A snapshot of every trial, refreshed incrementally from the storage."""
        with self._lock:
            seq, changed = self._storage.changes_since(self.name, self._history.seq)
            self._history = self._history.extend(seq, changed)
            return self._history

    @property
    def trials(self) -> list[TrialRecord]:
        return list(self.history().trials)

    def get_trials(self, states: Sequence[TrialState] | None = None) -> list[TrialRecord]:
        trials = self.history().trials
        if states is None:
            return list(trials)
        return [t for t in trials if t.state in states]

    @property
    def best_trial(self) -> TrialRecord:
        """The best completed trial; raises ``NoCompletedTrialsError`` if none completed."""
        return best_trial(self.history(), self.name)

    @property
    def best_trials(self) -> list[TrialRecord]:
        """The Pareto front (for one objective: the best trial)."""
        return pareto_front(self.history(), self.name)

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    def trials_dataframe(self) -> Any:
        """Every trial as a pandas DataFrame (``pip install "tuningfork[pandas]"``)."""
        return trials_dataframe(self.history().trials, len(self.directions))

    # -- guards against tuning mistakes (study/_guards.py, docs/guards.md) -------------------
    def set_test_data(self, X_test: Any, y_test: Any = None) -> str:
        """Lock away test data for one ``final_evaluation`` after tuning. Only its fingerprint
        (returned) is stored; the data stays in this process."""
        return _guards.set_test_data(self, X_test, y_test)

    @property
    def test_data(self) -> tuple[Any, Any]:
        """The locked ``(X_test, y_test)``; reading it while trials run is recorded as a peek."""
        return _guards.get_test_data(self)

    def final_evaluation(
        self,
        evaluate: Callable[[Mapping[str, Any], Any, Any], float] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> float:
        """Score the chosen configuration (``select_best``'s, else the best trial's) on the test
        data with ``evaluate(params, X_test, y_test)``; recorded in the study. A second call, or
        a call while trials run, warns (``TuningforkWarning``) and is recorded."""
        return _guards.final_evaluation(self, evaluate, params)

    def select_best(
        self,
        objective: Callable[[Any], Any] | None = None,
        reevaluate: int = 3,
        repeats: int = 5,
        confidence: float = 0.95,
    ) -> SelectionResult:
        """Re-run the top ``reevaluate`` configurations ``repeats`` times each with fresh seeds
        (trials marked ``reevaluation_of``) and choose by the mean, with a t-interval. Warns
        when the top two cannot be told apart (Welch t-test at ``confidence``)."""
        return _guards.select_best(self, objective, reevaluate, repeats, confidence)

    def rerun(self, number: int, objective: Callable[[Any], Any] | None = None) -> float:
        """Evaluate ``objective`` on a detached ``FixedTrial`` with trial ``number``'s stored
        params and seed; adds no trial. Returns the value."""
        return _guards.rerun(self, number, objective)

    def reproduce(
        self, number: int, objective: Callable[[Any], Any] | None = None, runs: int = 1
    ) -> _guards.ReproductionResult:
        """``rerun`` trial ``number`` ``runs`` times and compare with its stored value; warns
        when the runs differ from each other (the objective ignores its seed)."""
        return _guards.reproduce(self, number, objective, runs)

    # -- manual search -----------------------------------------------------------------------
    def enqueue(
        self,
        params: Mapping[str, Any],
        user_attrs: Mapping[str, Any] | None = None,
        *,
        skip_if_exists: bool = False,
    ) -> TrialRecord | None:
        """Queue a configuration to run before any sampled one (as a WAITING trial).

        Parameters not given are sampled when the trial runs. With ``skip_if_exists``, a
        configuration already queued or tried is not queued again (returns ``None``).
        """
        if not isinstance(params, Mapping):
            raise TypeError(
                f"enqueue takes a dict of parameter values, got {type(params).__name__}"
            )
        for name, value in params.items():
            try:
                dumps_value(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"enqueued parameter {name!r}: {exc}") from None
        if self._space is not None:
            for name, value in params.items():
                if name not in self._space:
                    raise ValueError(
                        f"enqueued parameter {name!r} is not in the study's space "
                        f"({list(self._space)})"
                    )
                if not self._space[name].contains(value):
                    raise ValueError(
                        f"enqueued parameter {name!r}: {value!r} is not in {self._space[name]!r}"
                    )
        with self._lock:
            if skip_if_exists:
                encoded = json.dumps(encode_value(dict(params)), sort_keys=True)
                for record in self.history().trials:
                    held = {**record.system_attrs.get(FIXED_ATTR, {}), **record.params}
                    if json.dumps(encode_value(held), sort_keys=True) == encoded:
                        return None
            # The values wait in a system attribute and become params only when the objective
            # suggests them, so a misspelled or unused name never shows up as a parameter.
            return self._storage.create_trial(
                self.name,
                state=TrialState.WAITING,
                user_attrs=dict(user_attrs or {}),
                system_attrs={"enqueued": True, FIXED_ATTR: dict(params)},
            )

    # -- ask / tell --------------------------------------------------------------------------
    def ask(self) -> Trial:
        """Start a trial: a queued one if any waits, else a new one whose parameters the sampler
        proposes. Raises ``SearchSpaceExhausted`` when a finite space has no point left."""
        with self._lock:
            history = self.history()
            if self._recover_expired(history):
                history = self.history()
            worker = _worker_id()
            lease = lease_until(self.lease_duration)
            record = self._storage.claim_waiting(self.name, worker, lease)
            space = self._space or self.sampler.fixed_space() or infer_space(history)
            if record is not None:
                self._start_heartbeat(record)
                rng = trial_rng(self.seed, record.number)
                proposal: dict[str, Any] = {}
                fixed = record.system_attrs.get(FIXED_ATTR, {})
                if len(space) and not set(space) <= set(fixed):
                    # a queued trial runs even when a finite space has no unused point left:
                    # parameters it does not fix are then drawn one by one
                    with contextlib.suppress(SearchSpaceExhausted):
                        proposal = self.sampler.propose(space, history, rng)
                return Trial(self, record, proposal, rng=rng)
            if len(space):
                sequence = self.sampler.sequence(space, self.seed)
                if sequence is not None:
                    index = self._storage.next_counter(
                        self.name, _sequence_key(self.sampler, space)
                    )
                    if index >= len(sequence):
                        raise self._exhausted(len(sequence))
                    record = self._storage.create_trial(
                        self.name,
                        state=TrialState.RUNNING,
                        system_attrs={"worker": worker, "sequence_index": index},
                        lease_until=lease,
                    )
                    self._start_heartbeat(record)
                    return Trial(self, record, sequence[index], proposal_is_binding=True)
                if self.sampler.remaining(space, history) == 0:
                    raise self._exhausted(space.n_points or 0)
            record = self._storage.create_trial(
                self.name,
                state=TrialState.RUNNING,
                system_attrs={"worker": worker},
                lease_until=lease,
            )
            self._start_heartbeat(record)
            rng = trial_rng(self.seed, record.number)
            proposal = self.sampler.propose(space, history, rng) if len(space) else {}
            if proposal and history.running():
                # Other trials run at the same time: publish this proposal so that they do not
                # draw it too before this trial's objective has suggested it.
                record = self._storage.set_trial_attr(
                    self.name, record.number, PROPOSAL_ATTR, proposal, user=False
                )
            return Trial(self, record, proposal, rng=rng)

    def _start_heartbeat(self, record: TrialRecord) -> None:
        if record.lease_until is not None:
            self._heartbeat.add(record.number)

    def _recover_expired(self, history: History) -> bool:
        """Fail the RUNNING trials whose lease ended (their worker is gone) and queue their
        retries; True if any was found. Cheap: reads only the History already fetched."""
        now = utcnow()
        expired = [
            t
            for t in history.running()
            if t.lease_until is not None and t.lease_until < now and t.number not in self._heartbeat
        ]
        for trial in expired:
            error = lost_worker_error(trial, now, _worker_id())
            failed = self._storage.fail_if_lease_expired(self.name, trial.number, now, error)
            if failed is not None:  # this worker won: it alone queues the retry
                self._queue_retry(failed, history)
        return bool(expired)

    def _queue_retry(self, failed: TrialRecord, history: History) -> TrialRecord | None:
        """Queue a WAITING copy of a trial lost with its worker, if the retry policy allows."""
        base: dict[str, Any] = {}
        index = failed.system_attrs.get("sequence_index")
        if index is not None:  # a grid point: retry the whole point, suggested or not
            space = self._space or self.sampler.fixed_space() or infer_space(history)
            sequence = self.sampler.sequence(space, self.seed) if len(space) else None
            if sequence is not None and 0 <= int(index) < len(sequence):
                base = dict(sequence[int(index)])
        attrs = retry_attrs(failed, self.retries, base)
        if attrs is None:
            logger.warning(
                "Trial %d of study %r was lost with its worker (%s); not retried: it already "
                "was retried %d time(s) (retries=%d)",
                failed.number,
                self.name,
                failed.error_summary,
                failed.system_attrs.get("retry_count", 0),
                self.retries,
            )
            return None
        retry = self._storage.create_trial(self.name, state=TrialState.WAITING, system_attrs=attrs)
        logger.warning(
            "Trial %d of study %r was lost with its worker; queued again as trial %d",
            failed.number,
            self.name,
            retry.number,
        )
        return retry

    def _exhausted(self, size: int) -> SearchSpaceExhausted:
        message = (
            f"study {self.name!r}: all {size} configurations of the search space have been "
            "tried; no new trial was started"
        )
        return SearchSpaceExhausted(message)

    def tell(
        self,
        trial: Trial | int,
        values: ObjectiveResult | None = None,
        *,
        state: TrialState | None = None,
        error: str | None = None,
    ) -> TrialRecord:
        """Finish a trial: COMPLETE with its value(s), or PRUNED, or FAILED.

        A result that is not one finite number per objective finishes the trial as FAILED with
        the reason recorded. A PRUNED trial keeps its last reported value.
        """
        if isinstance(trial, Trial) and trial.study is not self and trial.study.name != self.name:
            raise ValueError(
                f"trial {trial.number} belongs to study {trial.study.name!r}, not {self.name!r}; "
                "tell it to the study that asked for it"
            )
        number = trial.number if isinstance(trial, Trial) else int(trial)
        if state is None:
            state = TrialState.COMPLETE
        state = TrialState(state)
        if not state.is_finished():
            raise ValueError(f"tell takes COMPLETE, PRUNED or FAILED, not {state.name}")
        clean: tuple[float, ...] | None = None
        if state is TrialState.COMPLETE:
            clean, reason = validate_values(values, len(self.directions))
            if reason is not None:
                state, error = TrialState.FAILED, f"InvalidResult: {reason}"
        elif state is TrialState.PRUNED:
            record = self._storage.get_trial(self.name, number)
            if values is not None:
                clean, _ = validate_values(values, len(self.directions))
            elif record.intermediate and len(self.directions) == 1:
                last = record.intermediate[max(record.intermediate)]
                clean = (last,) if np.isfinite(last) else None
        if isinstance(trial, Trial):
            unused = sorted(set(trial.fixed_params) - set(trial.params))
            if unused:
                logger.warning(
                    "Trial %d of study %r: enqueued parameter(s) %s were never suggested by the "
                    "objective, so they are not among its params (a misspelled name, or a "
                    "conditional parameter that was inactive)",
                    number,
                    self.name,
                    unused,
                )
        try:
            finished = self._storage.finish(self.name, number, state, clean, error)
        finally:
            self._heartbeat.discard(number)
        if state is TrialState.FAILED:
            logger.warning(
                "Trial %d of study %r failed: %s", number, self.name, finished.error_summary
            )
        return finished

    # -- hooks used by Trial -----------------------------------------------------------------
    def _set_param(self, number: int, name: str, dist: Distribution, value: Any) -> TrialRecord:
        return self._storage.set_param(self.name, number, name, dist, value)

    def _propose_one(self, name: str, dist: Distribution, rng: np.random.Generator) -> Any:
        return self.sampler.propose_one(name, dist, self.history(), rng)

    def _report(self, number: int, step: int, value: float) -> TrialRecord:
        return self._storage.report(self.name, number, step, value)

    def _set_trial_attr(self, number: int, key: str, value: Any) -> TrialRecord:
        return self._storage.set_trial_attr(self.name, number, key, value, user=True)

    def _decide(self, record: TrialRecord) -> Decision:
        # A re-evaluation measures a chosen configuration again: stopping it early would bias
        # the comparison it exists for.
        if self.scheduler is None or REEVALUATION_OF in record.system_attrs:
            return Decision.CONTINUE
        return self.scheduler.decide(record, self.history())

    # -- running -----------------------------------------------------------------------------
    def optimize(
        self,
        objective: Callable[[Trial], ObjectiveResult],
        n_trials: int | None = None,
        timeout: float | None = None,
        n_workers: int = 1,
        callbacks: Sequence[Callable[[Study, TrialRecord], None]] | None = None,
        *,
        catch: tuple[type[BaseException], ...] = (Exception,),
        stop_if_first_failed: int | None = 5,
        show_progress_bar: bool = False,
        executor: str = "thread",
        trial_timeout: float | None = None,
    ) -> None:
        """Run ``objective`` on new trials until ``n_trials`` have run in this call, ``timeout``
        seconds have passed (no trial starts after it), or a finite space is exhausted.

        ``objective(trial)`` returns a number (one per objective). An exception in ``catch``
        fails that trial and the study goes on; if each of the first ``stop_if_first_failed``
        trials fails, optimize raises, showing the first error. Ctrl-C marks the running trials
        FAILED and re-raises ``KeyboardInterrupt`` (so does SIGTERM, unless the caller installed
        its own handler). ``n_workers`` threads (``executor="thread"``) or local processes
        (``executor="process"``: a picklable objective and a SQLite-file or PostgreSQL storage)
        run trials at once; ``trial_timeout`` (processes only) fails a trial that runs longer.
        See docs/parallel.md.
        """
        from tuningfork.study._optimize import run_optimize

        self.last_objective = objective
        run_optimize(
            self,
            objective,
            n_trials=n_trials,
            timeout=timeout,
            n_workers=n_workers,
            callbacks=[callbacks] if callable(callbacks) else list(callbacks or []),
            catch=catch,
            stop_if_first_failed=stop_if_first_failed,
            show_progress_bar=show_progress_bar,
            executor=executor,
            trial_timeout=trial_timeout,
        )


def _sequence_key(sampler: Sampler, space: SearchSpace) -> str:
    digest = hashlib.sha1(json.dumps(space_to_dict(space), sort_keys=True).encode()).hexdigest()
    return f"sequence:{type(sampler).__name__}:{digest[:16]}"


def _directions(
    direction: str | Direction | None, directions: Sequence[str | Direction] | None
) -> tuple[Direction, ...]:
    if direction is not None and directions is not None:
        raise ValueError("give direction or directions, not both")
    if directions is not None:
        if isinstance(directions, str) or not directions:
            raise ValueError(
                "directions must be a non-empty list like ['minimize', 'maximize'], "
                f"got {directions!r}"
            )
        return tuple(Direction.parse(d) for d in directions)
    return (Direction.parse("minimize" if direction is None else direction),)


def _default_name() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"study-{stamp}-{uuid.uuid4().hex[:6]}"


def create_study(
    name: str | None = None,
    storage: str | Storage | None = None,
    direction: str | Direction | None = None,
    sampler: Sampler | None = None,
    scheduler: Scheduler | None = None,
    seed: int | None = None,
    load_if_exists: bool = False,
    *,
    directions: Sequence[str | Direction] | None = None,
    space: Mapping[str, Any] | SearchSpace | None = None,
    retries: int = DEFAULT_RETRIES,
    lease_duration: float | None = DEFAULT_LEASE_DURATION,
) -> Study:
    """Create a study (or, with ``load_if_exists``, continue the stored one of that name).

    ``storage`` is a URL (``"sqlite:///study.db"``, ``"postgresql://..."``), a Storage, or
    ``None`` for memory. ``seed`` makes the study reproducible; without one a seed is drawn and
    stored. ``space`` declares the search space up front (define-by-run studies omit it). A
    continued study keeps its stored seed and directions, and refuses another declared space.

    ``retries`` (stored with the study; default 1) is how many times a trial lost with its
    worker is queued again. ``lease_duration`` (seconds; ``None``: trials hold no lease and are
    never recovered) is this process's lease on the trials it runs; see docs/parallel.md.
    """
    dirs = _directions(direction, directions)
    retries = check_retries(retries)
    lease_duration = check_lease_duration(lease_duration)
    store = open_storage(storage)
    declared = space_from_spec(space) if space is not None else None
    if seed is not None:
        seed = check_seed(seed)
    if sampler is not None and not isinstance(sampler, Sampler):
        raise TypeError(f"sampler must be a tuningfork Sampler, got {sampler!r}")
    if scheduler is not None and not isinstance(scheduler, Scheduler):
        raise TypeError(f"scheduler must be a tuningfork Scheduler, got {scheduler!r}")
    if scheduler is not None and len(dirs) > 1 and not scheduler.multi_objective:
        raise ValueError(
            f"{type(scheduler).__name__} compares values along one direction, but the study has "
            f"{len(dirs)} objectives; use a single objective, or Threshold (or no scheduler)"
        )
    study_name = name if name is not None else _default_name()
    if load_if_exists:
        try:
            record = store.load_study(study_name)
        except StudyNotFoundError:
            pass
        else:
            if record.directions != dirs:
                raise ValueError(
                    f"study {study_name!r} is stored with directions "
                    f"{[d.name.lower() for d in record.directions]}, not "
                    f"{[d.name.lower() for d in dirs]}"
                )
            _check_same_space(record, declared)
            return _open(store, record, sampler, scheduler, declared, lease_duration)
    config: dict[str, Any] = {"sampler": (sampler or RandomSampler()).describe()}
    if scheduler is not None:
        config["scheduler"] = scheduler.describe()
    if declared is not None:
        config["space"] = space_to_dict(declared)
    if retries != DEFAULT_RETRIES:
        config["retries"] = retries
    try:
        record = store.create_study(
            study_name, dirs, seed if seed is not None else new_study_seed(), config
        )
    except StudyExistsError:
        if load_if_exists:  # another worker created it between our load and create
            record = store.load_study(study_name)
        else:
            raise
    return _open(store, record, sampler, scheduler, declared, lease_duration)


def _check_same_space(record: StudyRecord, declared: SearchSpace | None) -> None:
    if declared is None or "space" not in record.config:
        return
    stored = space_from_dict(record.config["space"])
    if stored != declared:
        raise ValueError(
            f"study {record.name!r} is stored with the search space {stored!r}, which differs from "
            f"the space given now ({declared!r}); trials of two spaces do not mix: continue with "
            "the stored space, or give the study a new name"
        )


def _open(
    store: Storage,
    record: StudyRecord,
    sampler: Sampler | None,
    scheduler: Scheduler | None,
    space: SearchSpace | None,
    lease_duration: float | None = DEFAULT_LEASE_DURATION,
) -> Study:
    if space is None and "space" in record.config:
        space = space_from_dict(record.config["space"])
    return Study(store, record, sampler, scheduler, space, lease_duration=lease_duration)


def load_study(
    name: str,
    storage: str | Storage,
    sampler: Sampler | None = None,
    scheduler: Scheduler | None = None,
    *,
    lease_duration: float | None = DEFAULT_LEASE_DURATION,
) -> Study:
    """Open a stored study. Raises ``StudyNotFoundError`` listing the stored studies.
    ``lease_duration``: as for :func:`create_study`."""
    lease_duration = check_lease_duration(lease_duration)
    path = sqlite_path(storage) if isinstance(storage, str) else None
    if path is not None and not os.path.exists(path):  # do not create an empty database
        raise StudyNotFoundError(
            f"no study named {name!r}: the SQLite file {path!r} does not exist"
        )
    store = open_storage(storage)
    return _open(store, store.load_study(name), sampler, scheduler, None, lease_duration)
