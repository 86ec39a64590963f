"""The optimize loop: ask -> evaluate -> tell, on one or several worker threads."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING

from tuningfork._core.errors import (
    SearchSpaceExhausted,
    TrialFinishedError,
    TrialPruned,
    TuningforkError,
)
from tuningfork._core.records import TrialRecord, TrialState

# Imported here, not at first use: importing rich draws from the global ``random`` generator
# (rich.style), which must not happen in the middle of a user's seeded run.
from tuningfork.study._progress import progress_bar

if TYPE_CHECKING:
    from tuningfork.study._study import ObjectiveResult, Study
    from tuningfork.study._trial import Trial

logger = logging.getLogger("tuningfork")


INTERRUPTED = "Interrupted: the run was stopped (Ctrl-C or SIGTERM) while this trial ran"


class Terminated(KeyboardInterrupt):
    """SIGTERM during ``optimize`` (when no other handler was installed): handled like Ctrl-C."""


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While optimize runs in the main thread, SIGTERM raises :class:`Terminated`, so the
    worker's running trials are marked before the process ends. A handler installed by the
    caller (the CLI installs its own) is left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


class ObjectiveFailedError(TuningforkError, RuntimeError):
    """Every one of the first trials of an optimize call failed: the objective is likely broken."""


class _Run:
    """State shared by the worker threads of one optimize call."""

    def __init__(
        self, n_trials: int | None, timeout: float | None, stop_if_first_failed: int | None
    ):
        self.lock = threading.Lock()
        self.n_trials = n_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.started = 0
        self.finished: list[TrialRecord] = []
        self.running: set[int] = set()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.exhausted: str | None = None
        self.stop_if_first_failed = stop_if_first_failed

    def take(self) -> bool:
        """Reserve one trial of the budget; False when the run is over."""
        with self.lock:
            if self.stop.is_set():
                return False
            if self.n_trials is not None and self.started >= self.n_trials:
                return False
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return False
            self.started += 1
            return True

    def give_back(self) -> None:
        with self.lock:
            self.started -= 1

    def record(self, finished: TrialRecord) -> None:
        with self.lock:
            self.finished.append(finished)
            limit = self.stop_if_first_failed
            if (
                limit
                and len(self.finished) == limit
                and all(t.state is TrialState.FAILED for t in self.finished)
                and self.error is None
            ):
                first = min(self.finished, key=lambda t: t.number)
                self.error = ObjectiveFailedError(
                    f"each of the first {limit} trials failed, so the study stopped; the first "
                    f"error (trial {first.number}):\n{first.system_attrs.get('error', '')}"
                )
                self.stop.set()

    def after_trial(
        self,
        study: Study,
        record: TrialRecord,
        error: BaseException | None,
        callbacks: Sequence[Callable[[Study, TrialRecord], None]],
        on_finish: Callable[[TrialRecord], None],
    ) -> bool:
        """Count a finished trial, show it, run the callbacks; False when the run must stop."""
        self.record(record)
        on_finish(record)
        if error is not None:
            self.fail(error)
            return False
        for callback in callbacks:
            try:
                callback(study, record)
            except BaseException as exc:  # a broken callback stops the run, visibly
                self.fail(exc)
                return False
        return True

    def fail(self, error: BaseException) -> None:
        with self.lock:
            if self.error is None:
                self.error = error
            self.stop.set()


def format_error(exc: BaseException) -> str:
    summary = f"{type(exc).__name__}: {exc}".strip()
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return f"{summary}\n\n{tb}"


def run_one(
    study: Study,
    objective: Callable[[Trial], ObjectiveResult],
    trial: Trial,
    catch: tuple[type[BaseException], ...],
) -> tuple[TrialRecord, BaseException | None]:
    """Evaluate one trial and finish it; returns the finished record and an exception to
    re-raise (one outside ``catch``, or a KeyboardInterrupt)."""
    try:
        result = objective(trial)
    except TrialPruned:
        return study.tell(trial, state=TrialState.PRUNED), None
    except catch as exc:
        return study.tell(trial, state=TrialState.FAILED, error=format_error(exc)), None
    except KeyboardInterrupt as exc:
        record = study.tell(trial, state=TrialState.FAILED, error=INTERRUPTED)
        return record, exc
    except BaseException as exc:
        return study.tell(trial, state=TrialState.FAILED, error=format_error(exc)), exc
    try:
        return study.tell(trial, result), None
    except TrialFinishedError:
        raise
    except Exception as exc:  # never leave the trial RUNNING because its result was odd
        return study.tell(trial, state=TrialState.FAILED, error=format_error(exc)), exc


def _worker(
    study: Study,
    objective: Callable[[Trial], ObjectiveResult],
    run: _Run,
    callbacks: Sequence[Callable[[Study, TrialRecord], None]],
    catch: tuple[type[BaseException], ...],
    on_finish: Callable[[TrialRecord], None],
) -> None:
    while run.take():
        try:
            trial = study.ask()
        except SearchSpaceExhausted as exc:
            run.give_back()
            with run.lock:
                if run.exhausted is None:
                    run.exhausted = str(exc)
                run.stop.set()
            return
        with run.lock:
            run.running.add(trial.number)
        try:
            record, error = run_one(study, objective, trial, catch)
        except TuningforkError as exc:  # e.g. the trial was marked FAILED by Ctrl-C meanwhile
            if run.stop.is_set():
                return
            run.fail(exc)
            return
        finally:
            with run.lock:
                run.running.discard(trial.number)
        if not run.after_trial(study, record, error, callbacks, on_finish):
            return


def run_optimize(
    study: Study,
    objective: Callable[[Trial], ObjectiveResult],
    *,
    n_trials: int | None,
    timeout: float | None,
    n_workers: int,
    callbacks: list[Callable[[Study, TrialRecord], None]],
    catch: tuple[type[BaseException], ...],
    stop_if_first_failed: int | None,
    show_progress_bar: bool,
    executor: str,
    trial_timeout: float | None = None,
) -> None:
    if not callable(objective):
        raise TypeError(f"objective must be callable (trial -> float), got {objective!r}")
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0
    ):
        raise ValueError(f"n_trials must be an int >= 0 or None, got {n_trials!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a number of seconds > 0 or None, got {timeout!r}")
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError(f"n_workers must be an int >= 1, got {n_workers!r}")
    if executor not in ("thread", "process"):
        raise ValueError(f"executor {executor!r} is not available; expected 'thread' or 'process'")
    if trial_timeout is not None:
        if executor != "process":
            raise ValueError(
                "trial_timeout needs executor='process' (a thread cannot be stopped from "
                "outside); for a command objective use its timeout"
            )
        if (
            isinstance(trial_timeout, bool)
            or not isinstance(trial_timeout, (int, float))
            or not trial_timeout > 0
        ):
            raise ValueError(
                f"trial_timeout must be a number of seconds > 0 or None, got {trial_timeout!r}"
            )
    if isinstance(catch, type):  # catch=ValueError means (ValueError,)
        catch = (catch,)
    catch = tuple(catch)
    if not all(isinstance(c, type) and issubclass(c, BaseException) for c in catch):
        raise TypeError(f"catch must be exception classes, got {catch!r}")
    if not all(callable(cb) for cb in callbacks):
        raise TypeError(f"callbacks must be callables callback(study, trial), got {callbacks!r}")

    run = _Run(n_trials, timeout, stop_if_first_failed)
    with (
        sigterm_as_interrupt(),
        progress_bar(study, n_trials, timeout, enabled=show_progress_bar) as on_finish,
    ):
        try:
            if executor == "process":
                from tuningfork.study._process import run_processes

                run_processes(
                    study, objective, run, callbacks, catch, on_finish, n_workers, trial_timeout
                )
            elif n_workers == 1:
                _worker(study, objective, run, callbacks, catch, on_finish)
            else:
                _run_threads(study, objective, run, callbacks, catch, on_finish, n_workers)
        except KeyboardInterrupt:
            run.stop.set()
            _mark_interrupted(study, run)
            raise
    if run.exhausted is not None:
        logger.warning("%s", run.exhausted)
    if run.error is not None:
        if isinstance(run.error, KeyboardInterrupt):
            _mark_interrupted(study, run)
        raise run.error


def _run_threads(
    study: Study,
    objective: Callable[[Trial], ObjectiveResult],
    run: _Run,
    callbacks: Sequence[Callable[[Study, TrialRecord], None]],
    catch: tuple[type[BaseException], ...],
    on_finish: Callable[[TrialRecord], None],
    n_workers: int,
) -> None:
    def target() -> None:
        try:
            _worker(study, objective, run, callbacks, catch, on_finish)
        except BaseException as exc:  # never lose a worker's error
            run.fail(exc)

    # Daemon threads: after Ctrl-C the interpreter need not wait for a long objective to end.
    threads = [
        threading.Thread(target=target, name=f"tuningfork-worker-{i}", daemon=True)
        for i in range(n_workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.1)


def _mark_interrupted(study: Study, run: _Run) -> None:
    with run.lock:
        numbers = sorted(run.running)
    for number in numbers:
        with contextlib.suppress(TuningforkError):  # it may have finished meanwhile
            study.tell(number, state=TrialState.FAILED, error=INTERRUPTED)
