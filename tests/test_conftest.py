"""The TUNINGFORK_REQUIRE_ALL hook of tests/conftest.py, run in isolated pytest sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8")

SUITE = """
import pytest

def test_passes():
    pass

def test_skips():
    pytest.skip("no database here")

@pytest.mark.skip(reason="marked away")
def test_marked_skip():
    pass

@pytest.mark.skipif(True, reason="condition true")
def test_skipif():
    pass

def test_importorskip():
    pytest.importorskip("a_module_that_does_not_exist_42")

@pytest.mark.xfail(reason="known bug", strict=True)
def test_xfails():
    assert False

def test_imperative_xfail():
    pytest.xfail("imperative")
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    # the plugin under test, without the pytester line (the inner session does not need it)
    pytester.makeconftest(CONFTEST.replace('pytest_plugins = ["pytester"]', ""))
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_without_env_skips_stay_skipped(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TUNINGFORK_REQUIRE_ALL", raising=False)
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=4, xfailed=2)
    assert result.ret == 0


@pytest.mark.parametrize("value", ["0", "", "yes"])
def test_other_env_values_do_not_enable_it(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TUNINGFORK_REQUIRE_ALL", value)
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=4, xfailed=2)


def test_require_all_turns_every_skip_into_a_failure(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUNINGFORK_REQUIRE_ALL", "1")
    result = suite.runpytest("-p", "no:cacheprovider", "-rfE")
    # skips in the test body fail it; skips in setup (marks) become setup errors
    result.assert_outcomes(passed=1, failed=2, errors=2, xfailed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    text = result.stdout.str()
    for reason in (
        "no database here",
        "marked away",
        "condition true",
        "a_module_that_does_not_exist_42",
    ):
        assert reason in text
    assert "TUNINGFORK_REQUIRE_ALL=1 requires every test to run" in text


def test_require_all_fails_a_skip_in_a_fixture(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(CONFTEST.replace('pytest_plugins = ["pytester"]', ""))
    pytester.makepyfile(
        test_fixture="""
import pytest

@pytest.fixture
def database():
    pytest.skip("TUNINGFORK_TEST_POSTGRES_URL is not set")

def test_uses_database(database):
    pass
"""
    )
    monkeypatch.setenv("TUNINGFORK_REQUIRE_ALL", "1")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=0, errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "TUNINGFORK_TEST_POSTGRES_URL is not set" in result.stdout.str()


def test_module_level_skip_is_a_failure(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(CONFTEST.replace('pytest_plugins = ["pytester"]', ""))
    pytester.makepyfile(
        test_module="""
import pytest
pytest.importorskip("a_module_that_does_not_exist_42")

def test_never_collected():
    pass
"""
    )
    monkeypatch.setenv("TUNINGFORK_REQUIRE_ALL", "1")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error stops the session
    assert "a_module_that_does_not_exist_42" in result.stdout.str()
