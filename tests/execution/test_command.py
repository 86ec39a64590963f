"""CommandObjective: placeholders, JSON-line metrics, logs, errors, stopping and timeouts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import tuningfork
from tuningfork import Decision, TrialRecord, TrialState
from tuningfork._core.history import History
from tuningfork.execution import (
    CommandObjective,
    CommandTemplate,
    CommandTemplateError,
    render_command,
)
from tuningfork.schedulers import Scheduler

# -- placeholder substitution --------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "values", "expected"),
    [
        ("train --lr {lr}", {"lr": 0.001}, ["train", "--lr", "0.001"]),
        ("train --lr={lr}", {"lr": 1e-05}, ["train", "--lr=1e-05"]),
        ("t --optim.lr {optim.lr}", {"optim.lr": 0.5}, ["t", "--optim.lr", "0.5"]),
        ("t --drop-out {drop-out}", {"drop-out": 0.1}, ["t", "--drop-out", "0.1"]),
        ("t --layers[0] {layers[0]}", {"layers[0]": 64}, ["t", "--layers[0]", "64"]),
        ("t {a}{b}", {"a": 1, "b": "x"}, ["t", "1x"]),
        ("t {{lr}} {lr}", {"lr": 2}, ["t", "{lr}", "2"]),
        ("t '{{' }}", {}, ["t", "{", "}"]),
        ("t --name {name}", {"name": "two words"}, ["t", "--name", "two words"]),
        ("t --name '{name}'", {"name": "a;b $c"}, ["t", "--name", "a;b $c"]),
        ("t {flag} {n}", {"flag": True, "n": None}, ["t", "True", "None"]),
        ("t --sizes {sizes}", {"sizes": (1, 2)}, ["t", "--sizes", "[1, 2]"]),
        (["t", "--lr", "{lr}", "a b"], {"lr": 0.25}, ["t", "--lr", "0.25", "a b"]),
        ("t {x.y[1]-z}", {"x.y[1]-z": "v"}, ["t", "v"]),
    ],
)
def test_render_command(command: Any, values: dict[str, Any], expected: list[str]) -> None:
    assert render_command(command, values) == expected


def test_unknown_placeholder_lists_the_known_parameters() -> None:
    with pytest.raises(CommandTemplateError, match=r"\{lrr\}.*known: \['layers', 'lr'\]"):
        render_command("t --lr {lrr}", {"lr": 1, "layers": 2})


def test_str_format_syntax_is_not_interpreted() -> None:
    # str.format would read attribute access / format specs here
    with pytest.raises(CommandTemplateError, match=r"\{lr:.3f\}"):
        render_command("t {lr:.3f}", {"lr": 1.0})


@pytest.mark.parametrize("command", ["t {lr", "t lr}", "t {}", "t {a{b}"])
def test_malformed_braces(command: str) -> None:
    with pytest.raises(CommandTemplateError, match="literal brace"):
        CommandTemplate(command)


def test_inactive_parameter_drops_its_option() -> None:
    command = "t --kernel {kernel} --degree {degree} --deg={degree} --seed {seed}"
    argv = render_command(command, {"kernel": "rbf", "seed": 3}, inactive=["degree"])
    assert argv == ["t", "--kernel", "rbf", "--seed", "3"]


def test_placeholders_in_first_use_order() -> None:
    assert CommandTemplate("t {b} {a} {b}").placeholders == ["b", "a"]


def test_empty_command() -> None:
    with pytest.raises(CommandTemplateError, match="empty"):
        CommandTemplate("  ")


# -- running scripts -----------------------------------------------------------------------


def _script(tmp_path: Path, body: str, name: str = "script.py") -> Path:
    path = tmp_path / name
    path.write_text("import json, os, sys, time\n" + textwrap.dedent(body), encoding="utf-8")
    return path


def _run(
    tmp_path: Path,
    body: str,
    metric: str = "loss",
    space: dict[str, Any] | None = None,
    scheduler: Scheduler | None = None,
    args: str = "",
    **kwargs: Any,
) -> TrialRecord:
    script = _script(tmp_path, body)
    objective = CommandObjective(
        f"{{python}} {script} {args}",
        metric,
        space=space if space is not None else {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        log_dir=tmp_path / "logs",
        **kwargs,
    )
    study = tuningfork.create_study(seed=7, scheduler=scheduler)
    study.optimize(objective, n_trials=1, stop_if_first_failed=None)
    return study.trials[0]


def test_final_metric_and_intermediate_values(tmp_path: Path) -> None:
    record = _run(
        tmp_path,
        """
        print(json.dumps({"step": 0, "loss": 3.0}))
        print("epoch 1 done")
        print(json.dumps({"step": 1, "loss": 2.0}))
        print(json.dumps({"loss": 1.5, "acc": 0.5}))
        print("{not json")
        print(json.dumps({"other": 1}))
        print(json.dumps([1, 2]))
        """,
    )
    assert record.state is TrialState.COMPLETE
    assert record.values == (1.5,)
    assert dict(record.intermediate) == {0: 3.0, 1: 2.0}


def test_last_final_line_wins(tmp_path: Path) -> None:
    record = _run(
        tmp_path,
        """
        print(json.dumps({"loss": 9.0}))
        print(json.dumps({"step": 0, "loss": 3.0}))
        print(json.dumps({"loss": 1.0}))
        print(json.dumps({"step": 1, "loss": 7.0}))
        """,
    )
    assert record.values == (1.0,)


def test_only_step_lines_gives_the_last_one(tmp_path: Path) -> None:
    record = _run(
        tmp_path,
        """
        for i in range(3):
            print(json.dumps({"step": i, "loss": 10.0 - i}))
        """,
    )
    assert record.state is TrialState.COMPLETE
    assert record.values == (8.0,)


def test_several_metrics(tmp_path: Path) -> None:
    script = _script(tmp_path, 'print(json.dumps({"a": 1, "b": 2.5}))\n')
    objective = CommandObjective(
        f"{{python}} {script}", ["a", "b"], space={"x": [1]}, log_dir=tmp_path / "logs"
    )
    study = tuningfork.create_study(directions=["minimize", "maximize"])
    study.optimize(objective, n_trials=1)
    assert study.trials[0].values == (1.0, 2.5)


def test_metric_missing_names_key_keys_seen_and_log(tmp_path: Path) -> None:
    record = _run(tmp_path, 'print(json.dumps({"step": 0, "acc": 1}))\nprint("done")\n')
    assert record.state is TrialState.FAILED
    error = record.system_attrs["error"]
    assert error.startswith("MetricNotFoundError:")
    assert "'loss'" in error
    assert "['step', 'acc']" in error
    assert str(tmp_path / "logs" / "trial-0.log") in error


def test_metric_missing_without_any_json(tmp_path: Path) -> None:
    record = _run(tmp_path, 'print("hello")\n')
    assert "printed no JSON line" in record.system_attrs["error"]


def test_non_number_metric_fails_clearly(tmp_path: Path) -> None:
    record = _run(tmp_path, 'print(json.dumps({"loss": "0.5"}))\n')
    assert record.state is TrialState.FAILED
    assert "the metric 'loss' must be a number, got '0.5'" in record.system_attrs["error"]


def test_nonzero_exit_reports_code_and_log_tail(tmp_path: Path) -> None:
    record = _run(
        tmp_path,
        """
        print("boom", file=sys.stderr)
        time.sleep(0.2)
        for i in range(30):
            print(f"line {i}")
        sys.exit(3)
        """,
    )
    assert record.state is TrialState.FAILED
    error = record.system_attrs["error"]
    log_file = record.user_attrs["log_file"]
    assert error.startswith(
        f"CommandError: the command exited with code 3; log: {log_file}; last line: 'line 29';"
    )
    assert "line 29" in error
    assert "line 5\n" not in error and "boom" not in error  # only the tail
    assert "boom" in Path(log_file).read_text()


def test_missing_program_fails_the_trial(tmp_path: Path) -> None:
    objective = CommandObjective(
        "no-such-program-tuningfork {x}", "loss", space={"x": [1]}, log_dir=tmp_path
    )
    study = tuningfork.create_study()
    study.optimize(objective, n_trials=1, stop_if_first_failed=None)
    assert "could not start the command" in study.trials[0].system_attrs["error"]


def test_log_file_has_both_streams_and_its_path_is_stored(tmp_path: Path) -> None:
    record = _run(
        tmp_path,
        """
        print("to stderr", file=sys.stderr)
        print(json.dumps({"loss": 0.5}))
        """,
    )
    log_file = Path(record.user_attrs["log_file"])
    assert log_file == (tmp_path / "logs" / "trial-0.log").resolve()
    text = log_file.read_text()
    assert "to stderr" in text and '{"loss": 0.5}' in text
    assert text.splitlines()[0].startswith("$ ")  # the command that ran


def test_seed_reaches_the_script(tmp_path: Path) -> None:
    record = _run(
        tmp_path,
        """
        assert sys.argv[1:] == ["--seed", os.environ["TUNINGFORK_SEED"], "--n", "0"], sys.argv
        assert os.environ["TUNINGFORK_TRIAL_NUMBER"] == "0"
        print(json.dumps({"loss": int(os.environ["TUNINGFORK_SEED"])}))
        """,
        args="--seed {seed} --n {trial_number}",
    )
    assert record.state is TrialState.COMPLETE, record.system_attrs.get("error")
    assert record.values == (float(record.seed),)


def test_values_with_spaces_stay_one_argument(tmp_path: Path) -> None:
    record = _run(
        tmp_path,
        'print(json.dumps({"loss": len(sys.argv) - 1}))\nprint(sys.argv, file=sys.stderr)\n',
        space={"name": ["two words and more"]},
        args="--name {name}",
    )
    assert record.values == (2.0,)


def test_env_and_cwd(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    record = _run(
        tmp_path,
        """
        assert os.environ["MY_VAR"] == "42"
        print(json.dumps({"loss": float(os.getcwd() == os.environ["EXPECTED_CWD"])}))
        """,
        env={"MY_VAR": "42", "EXPECTED_CWD": str(work)},
        cwd=work,
    )
    assert record.values == (1.0,), record.system_attrs.get("error")


def test_conditional_parameters_are_suggested_only_when_active(tmp_path: Path) -> None:
    script = _script(tmp_path, 'print(json.dumps({"loss": len(sys.argv)}))\n')
    space = {
        "kernel": ["rbf", "poly"],
        "degree": {"type": "int", "low": 2, "high": 4, "when": {"kernel": "poly"}},
    }
    objective = CommandObjective(
        f"{{python}} {script} --kernel {{kernel}} --degree {{degree}}",
        "loss",
        space=space,
        log_dir=tmp_path,
    )
    study = tuningfork.create_study(space=space)
    study.enqueue({"kernel": "rbf"})
    study.enqueue({"kernel": "poly", "degree": 3})
    study.optimize(objective, n_trials=2)
    rbf, poly = study.trials
    assert rbf.params == {"kernel": "rbf"}
    assert rbf.values == (3.0,)  # script, --kernel, rbf
    assert poly.params == {"kernel": "poly", "degree": 3}
    assert poly.values == (5.0,)


def test_unknown_placeholder_is_caught_up_front(tmp_path: Path) -> None:
    with pytest.raises(CommandTemplateError, match=r"\{lr\}.*known: \['python', 'seed', "):
        CommandObjective("t {lr}", "loss", space={"x": [1]})


# -- stopping --------------------------------------------------------------------------------


class StopAtStep2(Scheduler):
    def decide(self, trial: TrialRecord, history: History) -> Decision:
        return Decision.STOP if (trial.last_step or 0) >= 2 else Decision.CONTINUE


LONG_RUN = """
{ignore}
for i in range(1000):
    print(json.dumps({{"step": i, "loss": 1.0 / (i + 1)}}), flush=True)
    time.sleep(0.05)
print(json.dumps({{"loss": 0.0}}))
"""


@pytest.mark.parametrize("ignore_sigterm", [False, True])
def test_stopped_script_is_terminated_and_the_trial_pruned(
    tmp_path: Path, ignore_sigterm: bool
) -> None:
    ignore = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)"
    if not ignore_sigterm:
        ignore = ""
    record = _run(
        tmp_path,
        LONG_RUN.format(ignore=ignore),
        scheduler=StopAtStep2(),
        grace_period=0.3,
    )
    assert record.state is TrialState.PRUNED
    assert sorted(record.intermediate) == [0, 1, 2]  # killed right after step 2
    assert record.values == (1.0 / 3,)
    log = Path(record.user_attrs["log_file"]).read_text()
    assert "stopped by the scheduler after step 2" in log
    # the process was stopped long before its 1000 steps: at most a few more lines reached us
    assert log.count('"step"') < 20


def test_timeout_kills_and_fails_with_reason(tmp_path: Path) -> None:
    record = _run(
        tmp_path,
        """
        print("started", flush=True)
        time.sleep(60)
        print(json.dumps({"loss": 1.0}))
        """,
        timeout=0.5,
        grace_period=0.5,
    )
    assert record.state is TrialState.FAILED
    error = record.system_attrs["error"]
    assert error.startswith("CommandTimeoutError: timeout:")
    assert "started" in error
    assert record.duration is not None and record.duration < 30


def test_user_attr_written_before_the_run(tmp_path: Path) -> None:
    script = _script(tmp_path, 'print(json.dumps({"loss": 1}))\n')
    seen: list[Any] = []

    class Spy:
        number, seed, params = 5, 11, {"x": 0.5}

        def suggest(self, name: str, distribution: Any) -> Any:
            raise AssertionError("no space given: params are used as they are")

        def report(self, step: int, value: float) -> None:
            seen.append(("report", step, value))

        def should_stop(self) -> bool:
            return False

        def set_user_attr(self, key: str, value: Any) -> None:
            seen.append((key, value))

    objective = CommandObjective(f"{{python}} {script} {{x}}", "loss", log_dir=tmp_path)
    assert objective(Spy()) == 1.0
    assert seen == [("log_file", str((tmp_path / "trial-5.log").resolve()))]


def test_exit_code_on_signal_is_named(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX signals")
    record = _run(tmp_path, "import signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    assert "was killed by SIGKILL (exit code -9)" in record.system_attrs["error"]


def test_json_dump_of_metric_name_in_hint(tmp_path: Path) -> None:
    record = _run(tmp_path, "pass\n", metric="val acc")
    assert json.dumps({"val acc": 0.5}) in record.system_attrs["error"]


def test_python_placeholder_is_this_interpreter() -> None:
    assert render_command("{python} x", {"python": sys.executable}) == [sys.executable, "x"]


def test_a_log_left_by_another_study_is_never_overwritten(tmp_path: Path) -> None:
    first = _run(tmp_path, 'print(json.dumps({"loss": 1.0}))')
    second = _run(tmp_path, 'print(json.dumps({"loss": 2.0}))')
    assert first.number == second.number == 0
    first_log = Path(first.user_attrs["log_file"])
    second_log = Path(second.user_attrs["log_file"])
    assert first_log.name == "trial-0.log" and second_log.name == "trial-0.1.log"
    assert '"loss": 1.0' in first_log.read_text()
    assert '"loss": 2.0' in second_log.read_text()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
def test_script_ends_when_the_tuner_is_sigkilled(tmp_path: Path) -> None:
    script = _script(
        tmp_path,
        """
        open(sys.argv[1], "w").write(str(os.getpid()))
        time.sleep(120)
        """,
        name="sleeper.py",
    )
    pid_file = tmp_path / "child.pid"
    driver = tmp_path / "driver.py"
    driver.write_text(
        textwrap.dedent(
            f"""
            import tuningfork
            from tuningfork.execution import CommandObjective
            objective = CommandObjective(
                ["{{python}}", {str(script)!r}, {str(pid_file)!r}], "loss",
                space={{"x": {{"type": "float", "low": 0.0, "high": 1.0}}}},
                log_dir={str(tmp_path / "logs")!r},
            )
            tuningfork.create_study().optimize(objective, n_trials=1)
            """
        )
    )
    parent = subprocess.Popen([sys.executable, str(driver)])
    try:
        for _ in range(600):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.05)
        child = int(pid_file.read_text())
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        for _ in range(600):  # the script gets SIGTERM from the kernel when its parent dies
            if not _alive(child):
                break
            time.sleep(0.05)
        else:
            os.kill(child, signal.SIGKILL)
            pytest.fail("the training script outlived the SIGKILLed tuner")
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
