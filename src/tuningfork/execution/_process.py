"""Local worker processes that survive the death of any one of them.

``concurrent.futures.ProcessPoolExecutor`` breaks as a whole when one worker dies (a SIGKILL,
``os._exit``, a segfault in native code, the OOM killer). Here each worker is its own
``spawn``-ed process with its own pipe: a dead worker is reported as a :class:`Died` event and
replaced by :meth:`WorkerProcesses.restart`; the others run on undisturbed.

This module only starts, feeds and watches processes. What a worker does (the ask -> evaluate
-> tell loop) and what a death means for a trial is decided by the caller (``tuningfork.study``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

WorkerTarget = Callable[[Connection, bytes], None]


@dataclass(frozen=True)
class Message:
    slot: int
    body: Any


@dataclass(frozen=True)
class Died:
    slot: int
    pid: int | None
    exitcode: int | None

    def describe(self) -> str:
        code = self.exitcode
        if code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exit code {code}"
        return f"worker process {self.pid} died ({how})"


def _child_main(target: WorkerTarget, conn: Connection, payload: bytes) -> None:
    # Ctrl-C reaches the whole process group: the parent handles it and stops the workers, so a
    # worker must not die of it half-way through a trial.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        target(conn, payload)
    finally:
        conn.close()


class WorkerProcesses:
    """``n`` spawned processes, each running ``target(conn, payload)``; ``target`` must be a
    module-level function and ``payload`` bytes (the caller pickles it, so that it can report
    what cannot be pickled in its own words)."""

    def __init__(self, target: WorkerTarget, payload: bytes, n: int) -> None:
        self._target = target
        self._payload = payload
        self._context = multiprocessing.get_context("spawn")
        self._procs: list[BaseProcess | None] = [None] * n
        self._conns: list[Connection | None] = [None] * n

    def __len__(self) -> int:
        return len(self._procs)

    def start(self, slot: int) -> None:
        parent, child = self._context.Pipe(duplex=True)
        proc = self._context.Process(
            target=_child_main,
            args=(self._target, child, self._payload),
            name=f"tuningfork-worker-{slot}",
            daemon=True,
        )
        proc.start()
        child.close()  # the parent keeps only its end: EOF then means the child is gone
        self._procs[slot] = proc
        self._conns[slot] = parent

    def restart(self, slot: int) -> None:
        self._reap(slot)
        self.start(slot)

    def send(self, slot: int, body: Any) -> None:
        conn = self._conns[slot]
        if conn is None:
            raise RuntimeError(f"worker slot {slot} is not running")
        with contextlib.suppress(BrokenPipeError, OSError):  # a death shows up in wait()
            conn.send(body)

    def pid(self, slot: int) -> int | None:
        proc = self._procs[slot]
        return None if proc is None else proc.pid

    def kill(self, slot: int) -> None:
        proc = self._procs[slot]
        if proc is not None and proc.is_alive():
            proc.kill()

    def wait(self, timeout: float) -> list[Message | Died]:
        """Messages from the workers and deaths of workers, waiting at most ``timeout``."""
        handles: dict[Any, tuple[int, str]] = {}
        for slot, (proc, conn) in enumerate(zip(self._procs, self._conns, strict=True)):
            if proc is None or conn is None:
                continue
            handles[conn] = (slot, "conn")
            handles[proc.sentinel] = (slot, "proc")
        if not handles:
            return []
        ready = multiprocessing.connection.wait(list(handles), timeout)
        events: list[Message | Died] = []
        dead: set[int] = set()
        slots = sorted({handles[handle][0] for handle in ready})
        for slot in slots:
            if not self._drain(slot, events):
                dead.add(slot)
        for slot in slots:
            proc = self._procs[slot]
            assert proc is not None
            if slot in dead or proc.sentinel in ready:
                # a dead worker's last messages ("started trial 7") come before its death
                proc.join(timeout=5)
                events.append(Died(slot, proc.pid, proc.exitcode))
                self._reap(slot)
        return events

    def _drain(self, slot: int, events: list[Message | Died]) -> bool:
        """Read every pending message of ``slot``; False at end of file (the worker is gone)."""
        conn = self._conns[slot]
        assert conn is not None
        try:
            while conn.poll():
                events.append(Message(slot, conn.recv()))
        except (EOFError, OSError):
            return False
        return True

    def _reap(self, slot: int) -> None:
        proc, conn = self._procs[slot], self._conns[slot]
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(timeout=5)
            with contextlib.suppress(ValueError):
                proc.close()
        self._procs[slot] = None
        self._conns[slot] = None

    def close(self, grace: float = 5.0) -> None:
        """Ask every worker to stop (``None``), wait up to ``grace`` seconds, then kill."""
        for slot in range(len(self._procs)):
            if self._conns[slot] is not None:
                self.send(slot, None)
        for proc in self._procs:
            if proc is not None:
                proc.join(timeout=grace)
        for slot in range(len(self._procs)):
            self._reap(slot)
