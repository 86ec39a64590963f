"""Run a training script as a trial's objective.

The script gets the trial's parameters on its command line (see :mod:`._template`), its seed in
the environment (``TUNINGFORK_SEED``), and reports by printing JSON objects on stdout, one per
line::

    {"step": 0, "accuracy": 0.91}     an intermediate value (fed to the scheduler)
    {"accuracy": 0.93}                the final value

Everything else it prints is only logged. stdout and stderr go to one log file per trial.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from tuningfork._core.errors import TrialPruned, TuningforkError
from tuningfork.execution._template import CommandTemplate
from tuningfork.space import Distribution, SearchSpace, space_from_spec

#: Placeholders every command may use besides the parameters (a parameter of the same name wins).
RESERVED_PLACEHOLDERS = ("seed", "trial_number", "python")

_TAIL_LINES = 20


class TrialLike(Protocol):
    """What a command objective needs of a trial (``tuningfork.Trial`` is one)."""

    @property
    def number(self) -> int: ...

    @property
    def seed(self) -> int: ...

    @property
    def params(self) -> Mapping[str, Any]: ...

    def suggest(self, name: str, distribution: Distribution) -> Any: ...

    def report(self, step: int, value: float) -> None: ...

    def should_stop(self) -> bool: ...

    def set_user_attr(self, key: str, value: Any) -> None: ...


class CommandError(TuningforkError, RuntimeError):
    """The command failed: it could not start, exited with an error, or printed no metric.

    ``reason`` is ``"start"``, ``"exit"``, ``"metric"``, ``"output"`` or ``"timeout"``.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        log_file: Path | None = None,
        returncode: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.log_file = log_file
        self.returncode = returncode


class CommandTimeoutError(CommandError):
    """The command ran longer than its timeout and was stopped."""


class MetricNotFoundError(CommandError):
    """The command exited normally without printing the metric."""


# Processes started here and still running. Ctrl-C (or interpreter exit) must not leave a
# training script behind: each runs in its own session, so the terminal's SIGINT misses it.
_LIVE: set[subprocess.Popen[str]] = set()
_LIVE_LOCK = threading.Lock()


def terminate_running(grace_period: float = 5.0) -> None:
    """Stop every command still running in this process (SIGTERM, then SIGKILL)."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        _signal(proc, signal.SIGTERM)
    deadline = time.monotonic() + grace_period
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal(proc, signal.SIGKILL)
            proc.wait()


atexit.register(terminate_running, 2.0)


def _signal(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    if proc.poll() is not None:
        return
    try:
        if os.name == "posix":
            os.killpg(proc.pid, sig)  # the whole session: data-loader workers too
        elif sig == signal.SIGTERM:  # pragma: no cover - Windows
            proc.terminate()
        else:  # pragma: no cover - Windows
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def _stop(proc: subprocess.Popen[str], grace_period: float) -> None:
    if proc.poll() is not None:
        return
    _signal(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_period)
    except subprocess.TimeoutExpired:
        _signal(proc, signal.SIGKILL)
        proc.wait()


def _pump(stream: IO[str], tag: str, out: queue.Queue[tuple[str, str | None]]) -> None:
    try:
        for line in stream:
            out.put((tag, line))
    except (OSError, ValueError):  # the pipe was closed under us
        pass
    finally:
        out.put((tag, None))


def _json_object(line: str) -> dict[str, Any] | None:
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


class _Metrics:
    """Reads the metric(s) out of a script's stdout, line by line."""

    def __init__(self, keys: Sequence[str], log_file: Path) -> None:
        self.keys = tuple(keys)
        self.log_file = log_file
        self.seen: dict[str, None] = {}
        self.final: tuple[float, ...] | None = None
        self.last: tuple[float, ...] | None = None

    def feed(self, line: str) -> tuple[int, float] | None:
        """Take one stdout line; returns ``(step, value)`` to report, if it is one."""
        obj = _json_object(line)
        if obj is None:
            return None
        self.seen.update(dict.fromkeys(obj))
        if not all(k in obj for k in self.keys):
            return None
        values = tuple(self._number(obj[k], k, line) for k in self.keys)
        self.last = values
        if "step" not in obj:
            self.final = values
            return None
        step = obj["step"]
        if isinstance(step, float) and step.is_integer():
            step = int(step)
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise CommandError(
                f"the command printed {line.strip()!r}: 'step' must be an int >= 0; "
                f"log: {self.log_file}",
                reason="output",
                log_file=self.log_file,
            )
        return (step, values[0]) if len(values) == 1 else None

    def _number(self, value: Any, key: str, line: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CommandError(
                f"the command printed {line.strip()!r}: the metric {key!r} must be a number, "
                f"got {value!r}; log: {self.log_file}",
                reason="output",
                log_file=self.log_file,
            )
        return float(value)

    def result(self) -> tuple[float, ...]:
        values = self.final if self.final is not None else self.last
        if values is None:
            keys = self.keys[0] if len(self.keys) == 1 else list(self.keys)
            seen = f"JSON keys seen: {list(self.seen)}" if self.seen else "it printed no JSON line"
            raise MetricNotFoundError(
                f"the command exited normally but printed no JSON line with the metric {keys!r} "
                f"({seen}); expected a line like {json.dumps(dict.fromkeys(self.keys, 0.5))}; "
                f"its output is in {self.log_file}",
                reason="metric",
                log_file=self.log_file,
            )
        return values


def _tail(path: Path, n: int = _TAIL_LINES) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(deque(f, maxlen=n)).rstrip("\n")
    except OSError:
        return "(the log file cannot be read)"


def _last_line(path: Path) -> str:
    """The script's last non-empty output line (tuningfork's own notes skipped), so that the
    first line of an error, which tables show, says what went wrong."""
    for line in reversed(_tail(path).splitlines()):
        if line.strip() and not line.startswith("# tuningfork:"):
            return line.strip()[:200]
    return ""


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name} (exit code {code})"
    return f"exited with code {code}"


class CommandObjective:
    """An objective that runs a command per trial and reads its metric from stdout.

    ``command`` is a string (split like a shell would, but never run by a shell) or a list of
    arguments, with ``{name}`` placeholders for parameters, ``{seed}`` (``trial.seed``),
    ``{trial_number}`` and ``{python}`` (the running interpreter, ``sys.executable``).
    ``metric`` is the JSON key of the value (a list of keys for several objectives).

    With ``space``, the trial's parameters are suggested from it (conditional ones only when
    active); without, the parameters the trial already has are used. The process gets
    ``TUNINGFORK_SEED``, ``TUNINGFORK_TRIAL_NUMBER`` and ``PYTHONUNBUFFERED=1`` (so intermediate
    lines arrive as printed) on top of the current environment and ``env``.

    Its stdout and stderr go to ``<log_dir>/trial-<number>.log`` (``log_dir`` defaults to
    ``<cwd>/tuningfork_logs``), whose path is stored as the user attribute ``log_file``. An
    existing log is never overwritten (another study's trial of the same number sharing the
    folder gets ``trial-<number>.1.log``, and so on).
    When the scheduler stops the trial after an intermediate report, the process gets SIGTERM,
    then SIGKILL after ``grace_period`` seconds, and the trial ends PRUNED. After ``timeout``
    seconds it is stopped the same way and the trial fails with :class:`CommandTimeoutError`.
    """

    def __init__(
        self,
        command: str | Sequence[str],
        metric: str | Sequence[str],
        *,
        space: Mapping[str, Any] | SearchSpace | None = None,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        grace_period: float = 5.0,
    ) -> None:
        self.template = CommandTemplate(command)
        if isinstance(metric, str):
            metrics: tuple[str, ...] = (metric,)
        elif isinstance(metric, Sequence) and metric and all(isinstance(m, str) for m in metric):
            metrics = tuple(metric)
        else:
            raise ValueError(f"metric must be a JSON key or a list of keys, got {metric!r}")
        if "step" in metrics:
            raise ValueError("'step' marks intermediate values; it cannot be the metric")
        self.metrics = metrics
        self.space = space_from_spec(space) if space is not None else None
        if self.space is not None:
            self.template.check([*self.space, *RESERVED_PLACEHOLDERS])
        if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
            raise ValueError(f"timeout must be a number of seconds > 0 or None, got {timeout!r}")
        if not grace_period >= 0:
            raise ValueError(f"grace_period must be >= 0 seconds, got {grace_period!r}")
        self.cwd = Path(cwd) if cwd is not None else None
        self.env = {str(k): str(v) for k, v in (env or {}).items()}
        self.timeout = timeout
        base = self.cwd if self.cwd is not None else Path.cwd()
        self.log_dir = Path(log_dir) if log_dir is not None else base / "tuningfork_logs"
        self.grace_period = grace_period

    def __repr__(self) -> str:
        return f"CommandObjective({self.template.source!r}, metric={self.metrics!r})"

    def __call__(self, trial: TrialLike) -> float | tuple[float, ...]:
        params, inactive = self._params(trial)
        values = {
            "seed": trial.seed,
            "trial_number": trial.number,
            "python": sys.executable,
            **params,
        }
        argv = self.template.render(values, inactive)
        log_file = _fresh_log_file(self.log_dir, trial.number)
        trial.set_user_attr("log_file", str(log_file))
        result = self._run(trial, argv, log_file)
        return result[0] if len(result) == 1 else result

    def _params(self, trial: TrialLike) -> tuple[dict[str, Any], list[str]]:
        if self.space is None:
            return dict(trial.params), []
        return self.space.suggest_all(trial.suggest)

    def _environ(self, trial: TrialLike) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.update(self.env)
        env["TUNINGFORK_SEED"] = str(trial.seed)
        env["TUNINGFORK_TRIAL_NUMBER"] = str(trial.number)
        return env

    def _run(self, trial: TrialLike, argv: list[str], log_file: Path) -> tuple[float, ...]:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "w", encoding="utf-8") as log:
            log.write(f"$ {shlex.join(argv)}\n")
            log.flush()
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=self.cwd,
                    env=self._environ(trial),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    encoding="utf-8",
                    errors="replace",
                    start_new_session=os.name == "posix",
                    preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
                )
            except OSError as exc:
                log.write(f"# tuningfork: could not start the command: {exc}\n")
                raise CommandError(
                    f"could not start the command {shlex.join(argv)!r}: {exc}",
                    reason="start",
                    log_file=log_file,
                ) from None
            with _LIVE_LOCK:
                _LIVE.add(proc)
            try:
                return self._watch(proc, trial, log, log_file)
            finally:
                _stop(proc, self.grace_period)
                with _LIVE_LOCK:
                    _LIVE.discard(proc)
                for stream in (proc.stdout, proc.stderr):
                    if stream is not None:
                        stream.close()

    def _watch(
        self, proc: subprocess.Popen[str], trial: TrialLike, log: IO[str], log_file: Path
    ) -> tuple[float, ...]:
        assert proc.stdout is not None and proc.stderr is not None
        lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
        readers = [
            threading.Thread(target=_pump, args=(proc.stdout, "out", lines), daemon=True),
            threading.Thread(target=_pump, args=(proc.stderr, "err", lines), daemon=True),
        ]
        for reader in readers:
            reader.start()
        metrics = _Metrics(self.metrics, log_file)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        open_streams = 2
        while open_streams:
            # Wake up at least every half second: the timeout is checked even if the script
            # prints nothing, and Ctrl-C reaches this thread promptly.
            wait = 0.5
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    self._timed_out(proc, log, log_file)
            try:
                tag, line = lines.get(timeout=wait)
            except queue.Empty:
                continue
            if line is None:
                open_streams -= 1
                continue
            log.write(line if line.endswith("\n") else line + "\n")
            log.flush()
            if tag != "out":
                continue
            report = metrics.feed(line)
            if report is None:
                continue
            step, value = report
            trial.report(step, value)
            if trial.should_stop():
                _stop(proc, self.grace_period)
                log.write(f"# tuningfork: stopped by the scheduler after step {step}\n")
                raise TrialPruned(f"stopped by the scheduler after step {step}")
        while True:
            try:
                code = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if deadline is not None and time.monotonic() >= deadline:
                    self._timed_out(proc, log, log_file)
        for reader in readers:
            reader.join(timeout=1.0)
        log.write(f"# tuningfork: the command {_exit_text(code)}\n")
        log.flush()
        if code != 0:
            raise CommandError(
                f"the command {_exit_text(code)}; log: {log_file}; last line: "
                f"{_last_line(log_file)!r}; its last lines:\n{_tail(log_file)}",
                reason="exit",
                log_file=log_file,
                returncode=code,
            )
        return metrics.result()

    def _timed_out(self, proc: subprocess.Popen[str], log: IO[str], log_file: Path) -> None:
        _stop(proc, self.grace_period)
        log.write(f"# tuningfork: timeout after {self.timeout:g} s, the command was stopped\n")
        log.flush()
        raise CommandTimeoutError(
            f"timeout: the command ran longer than {self.timeout:g} s and was stopped; log: "
            f"{log_file}; its last lines:\n{_tail(log_file)}",
            reason="timeout",
            log_file=log_file,
        )


def _fresh_log_file(log_dir: Path, number: int) -> Path:
    """``trial-<number>.log`` in ``log_dir``, or the first ``trial-<number>.<k>.log`` that does
    not exist yet: a log another run left there is never overwritten."""
    log_dir.mkdir(parents=True, exist_ok=True)
    candidate = log_dir / f"trial-{number}.log"
    k = 0
    while True:
        try:
            # "x" mode creates the file atomically, so two processes cannot pick the same name
            with open(candidate, "x", encoding="utf-8"):
                return candidate.resolve()
        except FileExistsError:
            k += 1
            candidate = log_dir / f"trial-{number}.{k}.log"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to send SIGTERM to the script when the process that started it dies, so a
    SIGKILLed ``tuningfork run`` leaves no training script running on its own."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
