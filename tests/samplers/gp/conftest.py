"""The GP tests call the numerical kernels directly: run their BLAS on one thread, as the
sampler does, so that contended CI cores do not slow them down tenfold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tuningfork.samplers.gp._threads import single_threaded_blas


@pytest.fixture(autouse=True)
def _single_threaded_blas() -> Iterator[None]:
    with single_threaded_blas():
        yield
