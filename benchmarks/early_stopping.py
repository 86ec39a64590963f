"""Early stopping, side by side: resource to reach a target, and score at a fixed resource.

    pip install -r benchmarks/requirements.txt        # optuna, xgboost (not project deps)
    python benchmarks/early_stopping.py [--seeds 10] [--tasks synthetic,mlp,xgboost]

Three learning-curve tasks, where the *resource* is a report step:

- ``synthetic``: a 4-d ellipsoid whose learning curve decays towards it over 27 steps (free to
  evaluate: isolates the search strategy);
- ``mlp``: scikit-learn ``MLPClassifier`` on digits (1,000 training rows), one ``partial_fit``
  epoch per step, 27 epochs; the score is the validation error;
- ``xgboost``: XGBoost on breast cancer, one boosting round per step, 81 rounds; the score is
  the validation log-loss.

Methods, each given the same total resource (sum of steps over all trials) per run:

- ``random (full)``: random search, every trial to the maximum resource;
- ``tf ASHA`` / ``tf Hyperband``: tuningfork's schedulers with random search (as in the
  ASHA and Hyperband papers);
- ``tf TPE+ASHA`` / ``tf BOHB-like``: tuningfork's TPE with ``multi_fidelity`` (learns from
  stopped trials) with ASHA / with Hyperband;
- ``optuna SHA`` / ``optuna HB``: Optuna's ``SuccessiveHalvingPruner`` and
  ``HyperbandPruner`` with its default sampler (TPE), same rungs.

A run starts trials until the resource is spent. Only trials that ran to the maximum resource
count as results (a stopped trial's value was measured with less resource). Reported per task
and method, as medians over seeds: the resource used when the best full-resource score first
reached the task's target (runs that never reached it count as infinite; the median is shown
as ">budget" when more than half missed), and the best full-resource score once the budget is
spent. Sequential runs, one thread per library.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from threadpoolctl import threadpool_limits

import tuningfork
from tuningfork.samplers import RandomSampler, TPESampler
from tuningfork.schedulers import ASHA, Hyperband

Report = Callable[[int, float], bool]  # (step, value) -> stop?


# -- tasks -------------------------------------------------------------------------------------
@dataclass
class Task:
    name: str
    max_step: int
    budget: int  # total resource per run
    target: float  # a score to reach (minimized)
    space: dict[str, tuple[float, float, bool]]  # name -> (low, high, log)
    train: Callable[[dict[str, float], int, Report], float]  # returns the final score


def _synthetic(params: dict[str, float], seed: int, report: Report) -> float:
    x = [params[f"x{i}"] for i in range(4)]
    base = sum((xi - 0.3 - 0.1 * i) ** 2 * (1 + i) for i, xi in enumerate(x))
    value = math.nan
    for step in range(1, 28):
        value = base + (1.0 + base) * 0.8**step
        if report(step, value):
            break
    return value


_DIGITS: tuple[Any, ...] | None = None


def _digits() -> tuple[Any, ...]:
    global _DIGITS
    if _DIGITS is None:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        X, y = load_digits(return_X_y=True)
        X_train, X_val, y_train, y_val = train_test_split(
            X / 16.0, y, train_size=1000, random_state=0, stratify=y
        )
        _DIGITS = (X_train, y_train, X_val, y_val, np.unique(y))
    return _DIGITS


def _mlp(params: dict[str, float], seed: int, report: Report) -> float:
    from sklearn.neural_network import MLPClassifier

    X_train, y_train, X_val, y_val, classes = _digits()
    model = MLPClassifier(
        hidden_layer_sizes=(round(params["width"]),),
        learning_rate_init=params["lr"],
        alpha=params["alpha"],
        batch_size=64,
        random_state=seed,
    )
    error = math.nan
    for epoch in range(1, 28):
        model.partial_fit(X_train, y_train, classes=classes)
        error = 1.0 - float(model.score(X_val, y_val))
        if report(epoch, error):
            break
    return error


_CANCER: tuple[Any, ...] | None = None


def _xgboost(params: dict[str, float], seed: int, report: Report) -> float:
    import xgboost

    global _CANCER
    if _CANCER is None:
        from sklearn.datasets import load_breast_cancer
        from sklearn.model_selection import train_test_split

        X, y = load_breast_cancer(return_X_y=True)
        X_train, X_val, y_train, y_val = train_test_split(
            X, y, test_size=0.3, random_state=0, stratify=y
        )
        _CANCER = (xgboost.DMatrix(X_train, y_train), xgboost.DMatrix(X_val, y_val))
    dtrain, dval = _CANCER
    final = [math.nan]

    class Callback(xgboost.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            final[0] = float(evals_log["valid"]["logloss"][-1])
            return report(epoch + 1, final[0])

    xgboost.train(
        {
            "objective": "binary:logistic",
            "eval_metric": "logloss",
            "eta": params["eta"],
            "max_depth": round(params["max_depth"]),
            "subsample": params["subsample"],
            "min_child_weight": params["min_child_weight"],
            "nthread": 1,
            "seed": seed,
        },
        dtrain,
        num_boost_round=81,
        evals=[(dval, "valid")],
        callbacks=[Callback()],
        verbose_eval=False,
    )
    return final[0]


TASKS = {
    "synthetic": Task(
        "synthetic",
        27,
        27 * 25,
        0.03,
        {f"x{i}": (0.0, 1.0, False) for i in range(4)},
        _synthetic,
    ),
    "mlp": Task(
        "mlp",
        27,
        27 * 12,
        0.025,
        {"width": (8.0, 64.0, True), "lr": (1e-4, 0.3, True), "alpha": (1e-6, 1.0, True)},
        _mlp,
    ),
    "xgboost": Task(
        "xgboost",
        81,
        81 * 15,
        0.13,
        {
            "eta": (1e-3, 1.0, True),
            "max_depth": (1.0, 8.0, False),
            "subsample": (0.3, 1.0, False),
            "min_child_weight": (0.1, 30.0, True),
        },
        _xgboost,
    ),
}


# -- one run -------------------------------------------------------------------------------------
class Budget(Exception):
    """The run's resource is spent: stop the trial in flight and the run."""


@dataclass
class Tracker:
    task: Task
    used: int = 0
    best: float = math.inf
    reached_at: float = math.inf

    def step(self) -> None:
        if self.used >= self.task.budget:
            raise Budget
        self.used += 1

    def finished(self, value: float, full: bool) -> None:
        if full and value < self.best:
            self.best = value
            if value <= self.task.target and math.isinf(self.reached_at):
                self.reached_at = self.used


def _run_tuningfork(task: Task, method: str, seed: int) -> Tracker:
    track = Tracker(task)
    r, big_r = 1, task.max_step
    sampler: tuningfork.samplers.Sampler = RandomSampler()
    scheduler: tuningfork.schedulers.Scheduler | None = None
    if method == "random (full)":
        pass
    elif method == "tf ASHA":
        scheduler = ASHA(r, big_r)
    elif method == "tf Hyperband":
        scheduler = Hyperband(r, big_r)
    elif method == "tf TPE+ASHA":
        sampler, scheduler = TPESampler(multi_fidelity=True), ASHA(r, big_r)
    elif method == "tf BOHB-like":
        sampler, scheduler = TPESampler(multi_fidelity=True), Hyperband(r, big_r)
    else:
        raise ValueError(method)

    def objective(trial: tuningfork.Trial) -> float:
        params = {
            name: trial.suggest_float(name, low, high, log=log)
            for name, (low, high, log) in task.space.items()
        }
        last = [0]

        def report(step: int, value: float) -> bool:
            track.step()
            last[0] = step
            trial.report(step, value)
            return trial.should_stop()

        value = task.train(params, trial.seed, report)
        full = last[0] >= task.max_step
        track.finished(value, full)
        if not full:
            raise tuningfork.TrialPruned()
        return value

    study = tuningfork.create_study(sampler=sampler, scheduler=scheduler, seed=seed)
    try:
        while True:
            study.optimize(objective, n_trials=1, catch=(), stop_if_first_failed=None)
    except Budget:
        pass
    return track


def _run_optuna(task: Task, method: str, seed: int) -> Tracker:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    track = Tracker(task)
    if method == "optuna SHA":
        pruner: Any = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    else:
        pruner = optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=task.max_step, reduction_factor=3
        )
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)

    def objective(trial: Any) -> float:
        params = {
            name: trial.suggest_float(name, low, high, log=log)
            for name, (low, high, log) in task.space.items()
        }
        last = [0]

        def report(step: int, value: float) -> bool:
            track.step()
            last[0] = step
            trial.report(value, step)
            return bool(trial.should_prune())

        value = task.train(params, seed * 100_003 + trial.number, report)
        full = last[0] >= task.max_step
        track.finished(value, full)
        if not full:
            raise optuna.TrialPruned()
        return value

    try:
        while True:
            study.optimize(objective, n_trials=1, catch=())
    except Budget:
        pass
    return track


METHODS = [
    "random (full)",
    "tf ASHA",
    "tf Hyperband",
    "tf TPE+ASHA",
    "tf BOHB-like",
    "optuna SHA",
    "optuna HB",
]


def run(task: Task, method: str, seed: int) -> Tracker:
    logging.getLogger("tuningfork").setLevel(logging.ERROR)  # "trial N failed: Budget"
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")  # optuna's ExperimentalWarning, sklearn convergence
        if method.startswith("optuna"):
            return _run_optuna(task, method, seed)
        return _run_tuningfork(task, method, seed)


def _fmt_resource(values: list[float], budget: int) -> str:
    med = statistics.median(values)
    missed = sum(math.isinf(v) for v in values)
    text = f">{budget}" if math.isinf(med) else f"{med:.0f}"
    return f"{text} ({len(values) - missed}/{len(values)} reached)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()
    methods = args.methods.split(",")
    started = time.perf_counter()
    for name in args.tasks.split(","):
        task = TASKS[name]
        print(
            f"\n### {task.name}: max resource {task.max_step} steps, budget {task.budget} per "
            f"run, target {task.target}, {args.seeds} seeds\n"
        )
        print(
            "| method | resource to reach target (median) | best score at budget (median) |"
            " vs random (full) | seconds |"
        )
        print("|---|---|---|---|---|")
        baseline = None
        for method in methods:
            t0 = time.perf_counter()
            tracks = [run(task, method, seed) for seed in range(args.seeds)]
            seconds = time.perf_counter() - t0
            score = statistics.median(t.best for t in tracks)
            if baseline is None:
                baseline = score
            ratio = score / baseline if baseline and math.isfinite(baseline) else math.nan
            print(
                f"| {method} | {_fmt_resource([t.reached_at for t in tracks], task.budget)} | "
                f"{score:.4f} | {ratio:.2f}x | {seconds:.0f} |",
                flush=True,
            )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
