"""``optimize(..., executor="process")``: the ask -> evaluate -> tell loop in local processes.

Each worker process opens the study's storage itself (a SQLite file or PostgreSQL: the storage
is the single source of truth) and runs one trial per "go" from this driver, which keeps the
budget (``n_trials``, ``timeout``), runs callbacks and the progress bar, and watches the
workers. A worker that dies mid-trial (SIGKILL, ``os._exit``, a crash in native code) is
replaced; its trial is marked FAILED as a lost worker and retried per the study's policy, like
a trial whose lease expired. A trial running longer than ``trial_timeout`` has its worker
killed and is marked FAILED ("Timeout: ...") without retry.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from tuningfork._core.errors import SearchSpaceExhausted, TrialFinishedError, TuningforkError
from tuningfork._core.records import TrialRecord, TrialState
from tuningfork.execution._process import Died, Message, WorkerProcesses
from tuningfork.samplers import Sampler
from tuningfork.schedulers import Scheduler
from tuningfork.space import SearchSpace
from tuningfork.storage import Storage
from tuningfork.study._lease import LOST_WORKER

if TYPE_CHECKING:
    from tuningfork.study._optimize import _Run
    from tuningfork.study._study import ObjectiveResult, Study
    from tuningfork.study._trial import Trial

TIMEOUT = "Timeout"
_POLL = 0.1


class WorkerStartupError(TuningforkError, RuntimeError):
    """Worker processes could not start (their payload could not be loaded, or they died
    before running any trial)."""


@dataclass(frozen=True)
class _Payload:
    storage: Storage
    study: str
    sampler: Sampler
    scheduler: Scheduler | None
    space: SearchSpace | None
    lease_duration: float | None
    heartbeat_interval: float | None
    objective: Callable[[Trial], ObjectiveResult]
    catch: tuple[type[BaseException], ...]


def make_payload(
    study: Study,
    objective: Callable[[Trial], ObjectiveResult],
    catch: tuple[type[BaseException], ...],
) -> bytes:
    """The pickled payload of every worker process, with clear errors for what cannot go."""
    try:
        pickle.dumps(study.storage)
    except Exception:
        raise ValueError(
            f"executor='process' needs a storage that other processes can open, but study "
            f"{study.name!r} is stored in {study.storage!r}; create the study with "
            "storage='sqlite:///study.db' (a file on a local disk) or a PostgreSQL URL, or use "
            "executor='thread'"
        ) from None
    try:
        pickle.dumps(objective)
    except Exception as exc:
        name = getattr(objective, "__qualname__", None) or repr(objective)
        raise TypeError(
            f"executor='process' sends the objective to other processes, but {name!r} cannot "
            f"be pickled ({type(exc).__name__}: {exc}); define it as a function at module level "
            "of an importable module (not a lambda, a local function or a closure), or use "
            "executor='thread'"
        ) from None
    payload = _Payload(
        storage=study.storage,
        study=study.name,
        sampler=study.sampler,
        scheduler=study.scheduler,
        space=study.space,
        lease_duration=study.lease_duration,
        heartbeat_interval=study.heartbeat_interval,
        objective=objective,
        catch=catch,
    )
    try:
        return pickle.dumps(payload)
    except Exception as exc:
        raise TypeError(
            f"executor='process' could not send the study's sampler or scheduler to other "
            f"processes ({type(exc).__name__}: {exc}); use executor='thread'"
        ) from None


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def process_worker(conn: Connection, payload: bytes) -> None:
    """The worker process: load the payload, then one ask -> evaluate -> tell per "go"."""
    from tuningfork.study._optimize import run_one
    from tuningfork.study._study import Study

    try:
        p: _Payload = pickle.loads(payload)
        study = Study(
            p.storage,
            p.storage.load_study(p.study),
            p.sampler,
            p.scheduler,
            p.space,
            lease_duration=p.lease_duration,
        )
        study.heartbeat_interval = p.heartbeat_interval
    except BaseException as exc:
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"))
        return
    while _next(conn):
        try:
            trial = study.ask()
        except SearchSpaceExhausted as exc:
            conn.send(("exhausted", str(exc)))
            continue
        except Exception as exc:
            conn.send(("error", None, _portable(exc)))
            continue
        conn.send(("started", trial.number))
        try:
            record, error = run_one(study, p.objective, trial, p.catch)
        except Exception as exc:
            conn.send(("error", trial.number, _portable(exc)))
            continue
        conn.send(("done", record.number, None if error is None else _portable(error)))
    p.storage.close()


def _next(conn: Connection) -> bool:
    """Wait for the driver's next "go"; False when told to stop, or when the driver is gone
    (then a trial this worker would start could never be counted)."""
    try:
        return conn.recv() is not None
    except (EOFError, OSError):
        return False


def run_processes(
    study: Study,
    objective: Callable[[Trial], ObjectiveResult],
    run: _Run,
    callbacks: Sequence[Callable[[Study, TrialRecord], None]],
    catch: tuple[type[BaseException], ...],
    on_finish: Callable[[TrialRecord], None],
    n_workers: int,
    trial_timeout: float | None,
) -> None:
    payload = make_payload(study, objective, catch)
    pool = WorkerProcesses(process_worker, payload, n_workers)
    busy: dict[int, bool] = {}
    current: dict[int, tuple[int, float] | None] = {}  # slot -> (trial number, start time)
    timed_out: set[int] = set()
    idle_deaths = 0
    interrupted = True

    def feed(slot: int) -> None:
        if run.take():
            busy[slot] = True
            pool.send(slot, "go")
        else:
            busy[slot] = False

    def finished(record: TrialRecord, error: BaseException | None = None) -> None:
        run.after_trial(study, record, error, callbacks, on_finish)

    try:
        for slot in range(n_workers):
            pool.start(slot)
            current[slot] = None
            feed(slot)
        while any(busy.values()):
            for event in pool.wait(_POLL):
                if isinstance(event, Died):
                    lost = _on_death(study, run, event, current, event.slot in timed_out)
                    timed_out.discard(event.slot)
                    if lost is not None:
                        idle_deaths = 0
                        finished(lost)
                    elif busy[event.slot]:
                        run.give_back()  # it died before starting a trial
                        idle_deaths += 1
                    busy[event.slot] = False
                    if idle_deaths > 2 * n_workers:
                        run.fail(
                            WorkerStartupError(
                                f"worker processes keep dying before running a trial (last: "
                                f"{event.describe()}); see their output above. A script "
                                "that calls optimize(executor='process') must do so under "
                                "`if __name__ == '__main__':` (worker processes import it)"
                            )
                        )
                    if not run.stop.is_set():
                        pool.restart(event.slot)
                        feed(event.slot)
                    continue
                _on_message(study, run, event, current, finished)
                if event.body[0] == "started":
                    continue
                busy[event.slot] = False
                if event.body[0] in ("done", "error") and not run.stop.is_set():
                    feed(event.slot)
            if trial_timeout is not None:
                now = time.monotonic()
                for slot, running in current.items():
                    late = running is not None and now - running[1] > trial_timeout
                    if late and slot not in timed_out:
                        timed_out.add(slot)
                        pool.kill(slot)
        interrupted = False
    finally:
        # After Ctrl-C the workers are mid-trial: stop them now (run_optimize then marks their
        # trials); after a normal end they are idle and exit when asked.
        pool.close(grace=0.0 if interrupted else 5.0)
        with run.lock:
            run.running.clear()
            run.running.update(c[0] for c in current.values() if c is not None)


def _on_message(
    study: Study,
    run: _Run,
    event: Message,
    current: dict[int, tuple[int, float] | None],
    finished: Callable[[TrialRecord, BaseException | None], None],
) -> None:
    kind = event.body[0]
    if kind == "started":
        number = int(event.body[1])
        current[event.slot] = (number, time.monotonic())
        with run.lock:
            run.running.add(number)
        return
    running = current[event.slot]
    current[event.slot] = None
    if running is not None:
        with run.lock:
            run.running.discard(running[0])
    if kind == "done":
        finished(study.storage.get_trial(study.name, int(event.body[1])), event.body[2])
    elif kind == "exhausted":
        run.give_back()
        with run.lock:
            if run.exhausted is None:
                run.exhausted = str(event.body[1])
            run.stop.set()
    elif kind == "error":
        if running is None:
            run.give_back()
        run.fail(event.body[2])
    elif kind == "fatal":  # the worker then exits; its death gives the budget back
        run.fail(WorkerStartupError(f"a worker process could not start: {event.body[1]}"))


def _on_death(
    study: Study,
    run: _Run,
    event: Died,
    current: dict[int, tuple[int, float] | None],
    timed_out: bool,
) -> TrialRecord | None:
    """Fail the dead worker's trial, if it ran one, and queue its retry (not after a timeout:
    a trial that ran too long would only run too long again)."""
    running = current.get(event.slot)
    current[event.slot] = None
    if running is None:
        return None
    number, started = running
    with run.lock:
        run.running.discard(number)
    if timed_out:
        error = (
            f"{TIMEOUT}: the trial ran longer than trial_timeout "
            f"({time.monotonic() - started:.1f} s), so its worker process was stopped"
        )
    else:
        error = f"{LOST_WORKER}: {event.describe()} while running this trial"
    try:
        record = study.tell(number, state=TrialState.FAILED, error=error)
    except TrialFinishedError:  # it had finished, or another worker noticed first
        return study.storage.get_trial(study.name, number)
    if not timed_out:
        study._queue_retry(record, study.history())
    return record
