"""Run the GP's linear algebra with one BLAS thread.

The GP's matrices are small (hundreds of rows): multi-threaded BLAS gains nothing there, and
when the cores are busy (parallel workers, other processes) its spinning threads make each
proposal several times slower (10x measured on 2 loaded cores). ``threadpoolctl`` (a
dependency of scikit-learn) switches the thread count of the loaded BLAS libraries; without it
this is a no-op. The limit is process-wide while a proposal runs.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from typing import Any

_lock = threading.Lock()
_controller: Any = None
_looked_up = False


def _get_controller() -> Any:
    global _controller, _looked_up
    with _lock:
        if not _looked_up:
            _looked_up = True
            try:
                module = importlib.import_module("threadpoolctl")
                _controller = module.ThreadpoolController()
            except Exception:  # not installed, or an unusual platform: run as is
                _controller = None
        return _controller


def single_threaded_blas() -> contextlib.AbstractContextManager[Any]:
    """A context in which BLAS uses one thread (when threadpoolctl is available)."""
    controller = _get_controller()
    if controller is None:
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")  # type: ignore[no-any-return]
