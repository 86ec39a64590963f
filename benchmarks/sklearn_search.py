"""TuningSearchCV (tuningfork, TPE) vs scikit-learn's RandomizedSearchCV, same budget.

One command: ``.venv/bin/python benchmarks/sklearn_search.py`` (about 12 minutes on 2 busy
shared cores; ``--seeds 3`` for a quick look). For each bundled dataset (digits, breast
cancer, wine) and each seed, a stratified 25 % hold-out test split is drawn; both searches
tune the same pipeline (StandardScaler + RBF SVC, ``C`` and ``gamma`` log-uniform) with the
same number of fits (``n_trials == n_iter``, same ``cv``), refit the best on the training
part, and are scored on the hold-out part. Prints a Markdown table: mean and median hold-out
accuracy over the seeds, how often each wins, and the ratio of wall times.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

from scipy.stats import loguniform
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import RandomizedSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from tuningfork.integrations.sklearn import TuningSearchCV

DATASETS: dict[str, Callable[..., Any]] = {
    "digits": load_digits,
    "breast_cancer": load_breast_cancer,
    "wine": load_wine,
}
SPACE = {"svc__C": loguniform(1e-2, 1e3), "svc__gamma": loguniform(1e-5, 1e0)}


def run(name: str, seed: int, n_trials: int, cv: int) -> dict[str, float]:
    X, y = DATASETS[name](return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    out: dict[str, float] = {}
    searches = {
        "tuningfork": TuningSearchCV(
            make_pipeline(StandardScaler(), SVC()),
            SPACE,
            n_trials=n_trials,
            cv=cv,
            random_state=seed,
        ),
        "sklearn": RandomizedSearchCV(
            make_pipeline(StandardScaler(), SVC()),
            SPACE,
            n_iter=n_trials,
            cv=cv,
            random_state=seed,
        ),
    }
    for label, search in searches.items():
        start = time.perf_counter()
        search.fit(X_train, y_train)
        out[f"{label}_time"] = time.perf_counter() - start
        out[f"{label}_cv"] = float(search.best_score_)
        out[f"{label}_test"] = float(search.score(X_test, y_test))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--cv", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("tuningfork").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    print(
        f"{args.seeds} seeds, n_trials = n_iter = {args.n_trials}, cv = {args.cv}; hold-out "
        "accuracy of the refit best estimator\n"
    )
    print(
        "| dataset | tuningfork mean | sklearn mean | tuningfork median | sklearn median "
        "| tuningfork wins / ties / losses | mean best CV score tf / sk | wall time tf / sk |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in DATASETS:
        rows = [run(name, seed, args.n_trials, args.cv) for seed in range(args.seeds)]
        tf = [r["tuningfork_test"] for r in rows]
        sk = [r["sklearn_test"] for r in rows]
        wins = sum(a > b for a, b in zip(tf, sk, strict=True))
        ties = sum(a == b for a, b in zip(tf, sk, strict=True))
        cv_tf = statistics.mean(r["tuningfork_cv"] for r in rows)
        cv_sk = statistics.mean(r["sklearn_cv"] for r in rows)
        ratio = sum(r["tuningfork_time"] for r in rows) / sum(r["sklearn_time"] for r in rows)
        print(
            f"| {name} | {statistics.mean(tf):.4f} | {statistics.mean(sk):.4f} "
            f"| {statistics.median(tf):.4f} | {statistics.median(sk):.4f} "
            f"| {wins} / {ties} / {len(rows) - wins - ties} | {cv_tf:.4f} / {cv_sk:.4f} "
            f"| {ratio:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
