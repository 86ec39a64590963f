"""A standalone training script: an SVM on scikit-learn's digits, scored by 3-fold CV.

    python train.py --kernel poly --C 10 --gamma 0.01 --degree 3 --seed 0

It knows nothing of tuningfork: it prints one JSON line per fold with the mean accuracy so far
({"step": i, "accuracy": ...}, which feeds early stopping) and a final {"accuracy": ...} line.
``tuningfork run tune.toml`` runs it once per trial.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel", choices=["rbf", "poly"], default="rbf")
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.01)
    parser.add_argument("--degree", type=int, default=3, help="only used by the poly kernel")
    parser.add_argument("--seed", type=int, default=0, help="shuffles the CV folds")
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    model = SVC(kernel=args.kernel, C=args.C, gamma=args.gamma, degree=args.degree)
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=args.seed)
    scores = []
    for step, (train, test) in enumerate(cv.split(X, y)):
        model.fit(X[train], y[train])
        scores.append(model.score(X[test], y[test]))
        print(json.dumps({"step": step, "accuracy": float(np.mean(scores))}), flush=True)
    print(json.dumps({"accuracy": float(np.mean(scores))}), flush=True)


if __name__ == "__main__":
    main()
