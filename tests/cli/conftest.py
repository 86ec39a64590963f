"""A tiny project for the CLI tests: a script, a function module and a config file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

SCRIPT = """\
import argparse, json, time
p = argparse.ArgumentParser()
p.add_argument("--x", type=float)
p.add_argument("--n", type=int)
p.add_argument("--flag")
p.add_argument("--trial", type=int)
p.add_argument("--sleep-from", type=int, default=-1)
a = p.parse_args()
if 0 <= a.sleep_from <= a.trial:
    open(f"started-{a.trial}", "w").close()
    time.sleep(120)
print(json.dumps({"step": 0, "loss": 10.0}))
print(json.dumps({"loss": (a.x - 0.3) ** 2 + a.n}))
"""

CONFIG = """\
[study]
name = "tiny"
seed = 1

[objective]
command = "{python} script.py --x {x} --n {n} --flag {flag} --trial {trial_number}"
metric = "loss"

[run]
n_trials = 3

[space]
x = { type = "float", low = 0.0, high = 1.0 }
n = [1, 2]
flag = [true, false]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory with script.py and tune.toml; returns the config path."""
    (tmp_path / "script.py").write_text(SCRIPT, encoding="utf-8")
    config = tmp_path / "tune.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path
