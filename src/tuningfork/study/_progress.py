"""A terminal progress bar for optimize: trials done/total, best so far, elapsed and ETA."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tuningfork._core.records import TrialRecord, TrialState

if TYPE_CHECKING:
    from tuningfork.study._study import Study


def _fmt(value: float) -> str:
    return f"{value:.6g}"


@contextmanager
def progress_bar(
    study: Study, n_trials: int | None, timeout: float | None, *, enabled: bool
) -> Iterator[Callable[[TrialRecord], None]]:
    """Yields the function to call with each finished trial."""
    if not enabled:
        yield lambda record: None
        return
    single = len(study.directions) == 1
    direction = study.directions[0]
    best: list[float] = []
    lock = threading.Lock()
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best: {task.fields[best]}"),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    task = progress.add_task(study.name, total=n_trials, best="-")

    def on_finish(record: TrialRecord) -> None:
        with lock:
            value = record.value if record.state is TrialState.COMPLETE else None
            if single and value is not None and (not best or direction.better(value, best[0])):
                best[:] = [value]
            progress.update(task, advance=1, best=_fmt(best[0]) if best else "-")

    with progress:
        yield on_finish
