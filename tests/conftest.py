"""Shared test configuration.

``TUNINGFORK_REQUIRE_ALL=1`` (set by ``scripts/test``, so by CI) turns every skipped test into a
failure: a missing database, extra or tool must not let a suite pass while testing nothing.
``xfail`` is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

pytest_plugins = ["pytester"]

REQUIRE_ALL_ENV = "TUNINGFORK_REQUIRE_ALL"


def _require_all() -> bool:
    return os.environ.get(REQUIRE_ALL_ENV, "").strip() == "1"


def _fail_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not _require_all() or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = ""
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        reason = str(report.longrepr[2])
    elif report.longrepr is not None:
        reason = str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped, but {REQUIRE_ALL_ENV}=1 requires every test to run: {reason}"


# A skip in the setup phase (skip/skipif marks, a fixture calling pytest.skip) is reported as
# an error; one in the test body as a failure; one at import time (importorskip) as a
# collection error. Each makes the session fail.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    _fail_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, None]:
    outcome = yield
    _fail_skip(outcome.get_result())
