"""Guards against classic tuning mistakes: a locked test set, noise-aware final selection and
re-running a trial to check that it reproduces. See docs/guards.md.

What is stored (study config entries, written with ``storage.set_study_attr(user=False)``):

* ``test_data``: ``{"fingerprint", "n_rows", "set_at"}``; never the data itself.
* ``test_evaluations``: one entry per ``final_evaluation``: value, params, source trial, its
  validation value, time, fingerprint, and whether trials were running at the time.
* ``guard_warnings``: every warning raised here, with its kind and time, so ``tuningfork show``
  prints them later.
* ``selection``: the last ``select_best`` result (``SelectionResult.to_dict()``).
"""

from __future__ import annotations

import hashlib
import math
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from tuningfork._core.errors import TuningforkWarning
from tuningfork._core.records import TrialState, validate_values
from tuningfork._core.rng import trial_rng
from tuningfork.analysis import SelectionResult, is_candidate, summarize_reevaluations
from tuningfork.analysis._selection import REEVALUATION_OF
from tuningfork.samplers._finite import FIXED_ATTR
from tuningfork.space import encode_value
from tuningfork.study._fixed import FixedTrial

if TYPE_CHECKING:
    from tuningfork.study._study import Study

TEST_DATA = "test_data"
TEST_EVALUATIONS = "test_evaluations"
GUARD_WARNINGS = "guard_warnings"
SELECTION = "selection"

# The test data lives only in this process, beside its Study object (never in the storage).
_TEST_DATA: weakref.WeakKeyDictionary[Study, tuple[Any, Any]] = weakref.WeakKeyDictionary()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def fingerprint(*arrays: Any) -> str:
    """A SHA-256 digest of the data (shape, dtype and bytes), to recognize it without storing it."""
    digest = hashlib.sha256()
    for array in arrays:
        if array is None:
            digest.update(b"none")
            continue
        a = np.asarray(array)
        digest.update(f"{a.shape}|{a.dtype.str}|".encode())
        if a.dtype.kind == "O":
            digest.update(repr(a.tolist()).encode())
        else:
            digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()


def warn(study: Study, kind: str, message: str, stacklevel: int = 3) -> None:
    """Warn loudly and keep the warning in the study (``tuningfork show`` prints it)."""
    warnings.warn(message, TuningforkWarning, stacklevel=stacklevel + 1)
    entries = list(study.config.get(GUARD_WARNINGS, []))
    entries.append({"kind": kind, "message": message, "time": _now()})
    study.storage.set_study_attr(study.name, GUARD_WARNINGS, entries, user=False)


def _running(study: Study) -> list[int]:
    return [t.number for t in study.history().running()]


# -- the locked test set --------------------------------------------------------------------
def set_test_data(study: Study, X_test: Any, y_test: Any = None) -> str:
    n_rows = len(X_test) if hasattr(X_test, "__len__") else None
    digest = fingerprint(X_test, y_test)
    stored = study.config.get(TEST_DATA)
    if stored is not None and stored.get("fingerprint") != digest:
        warn(
            study,
            "test_data_changed",
            f"study {study.name!r}: the test data differs from the data locked earlier "
            f"(fingerprint {stored.get('fingerprint', '')[:12]} -> {digest[:12]}); choosing "
            "among test sets is tuning on the test data",
        )
    _TEST_DATA[study] = (X_test, y_test)
    study.storage.set_study_attr(
        study.name,
        TEST_DATA,
        {"fingerprint": digest, "n_rows": n_rows, "set_at": _now()},
        user=False,
    )
    return digest


def get_test_data(study: Study) -> tuple[Any, Any]:
    """The locked test data; using it while trials run is recorded as a peek."""
    data = _TEST_DATA.get(study)
    if data is None:
        raise ValueError(f"study {study.name!r} has no test data: call study.set_test_data first")
    running = _running(study)
    if running:
        warn(
            study,
            "test_data_peek",
            f"study {study.name!r}: the test data was read while trial(s) {running} were "
            "running; tuning decisions informed by the test data make its score optimistic",
        )
    return data


def final_evaluation(
    study: Study,
    evaluate: Callable[[Mapping[str, Any], Any, Any], float] | None = None,
    params: Mapping[str, Any] | None = None,
) -> float:
    data = _TEST_DATA.get(study)
    if data is None:
        raise ValueError(
            f"study {study.name!r} has no test data: call study.set_test_data(X_test, y_test) "
            "before tuning, and final_evaluation once after it"
        )
    config = study.config
    source: int | None = None
    validation: float | None = None
    if params is None:
        selection = config.get(SELECTION)
        if selection is not None:
            params, source = selection["params"], selection["trial_number"]
            validation = selection["mean"]
        else:
            best = study.best_trial
            params, source, validation = dict(best.params), best.number, best.value
    if evaluate is None:
        evaluate = getattr(study.last_objective, "evaluate_on_test", None)
        if evaluate is None:
            raise ValueError(
                "final_evaluation needs evaluate(params, X_test, y_test) -> float, unless the "
                "study's objective provides one (cross_val_objective does)"
            )
    previous = list(config.get(TEST_EVALUATIONS, []))
    running = _running(study)
    if previous:
        warn(
            study,
            "test_reused",
            f"study {study.name!r}: the test data is evaluated again (evaluation "
            f"{len(previous) + 1}); the first result was {previous[0]['value']!r}. Every look "
            "after the first makes the test score an optimistic, tuned estimate",
        )
    if running:
        warn(
            study,
            "test_during_tuning",
            f"study {study.name!r}: final_evaluation while trial(s) {running} are running; "
            "evaluate on the test data once, after tuning has finished",
        )
    value = evaluate(dict(params), data[0], data[1])
    clean, reason = validate_values(value, 1)
    if clean is None:
        raise ValueError(f"evaluate returned an unusable test value: {reason}")
    previous.append(
        {
            "value": clean[0],
            "params": dict(params),
            "trial": source,
            "validation_value": validation,
            "time": _now(),
            "fingerprint": fingerprint(data[0], data[1]),
            "during_tuning": bool(running),
        }
    )
    study.storage.set_study_attr(study.name, TEST_EVALUATIONS, previous, user=False)
    return clean[0]


# -- noise-aware selection ----------------------------------------------------------------------
def select_best(
    study: Study,
    objective: Callable[[Any], Any] | None = None,
    reevaluate: int = 3,
    repeats: int = 5,
    confidence: float = 0.95,
) -> SelectionResult:
    if len(study.directions) != 1:
        raise ValueError("select_best needs a study with one objective")
    for what, value, low in (("reevaluate", reevaluate, 1), ("repeats", repeats, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{what} must be an int >= {low}, got {value!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    objective = objective if objective is not None else study.last_objective
    if objective is None:
        raise ValueError(
            "select_best needs the objective to re-run: pass objective=..., or call it after "
            "study.optimize in the same process"
        )
    history = study.history()
    direction = study.direction
    ordinary = [t for t in history.completed() if is_candidate(t) and t.value is not None]
    ordinary.sort(key=lambda t: (-t.value if direction.name == "MAXIMIZE" else t.value, t.number))  # type: ignore[operator]
    candidates, seen = [], set()
    for record in ordinary:
        key = repr(encode_value(dict(record.params)))
        if key not in seen:
            seen.add(key)
            candidates.append(record)
        if len(candidates) == reevaluate:
            break
    if not candidates:
        study.best_trial  # raises NoCompletedTrialsError with the reason  # noqa: B018
    done: dict[int, int] = {}
    for record in history.trials:
        source = record.system_attrs.get(REEVALUATION_OF)
        if source is not None and record.state is TrialState.COMPLETE:
            done[int(source)] = done.get(int(source), 0) + 1
    # Round-robin order: drift over time (load, caches) then affects every candidate alike.
    # Each re-evaluation is its own trial (so its own seed), run here rather than queued for
    # optimize: its parameters are all fixed, so no sampler is asked (a finite space may be
    # exhausted), and no other queued trial runs in between.
    for _ in range(repeats):
        for record in candidates:
            if done.get(record.number, 0) >= repeats:
                continue
            done[record.number] = done.get(record.number, 0) + 1
            _run_fixed(study, objective, record.params, {REEVALUATION_OF: record.number})
    result = summarize_reevaluations(study.history(), confidence)
    if result is None:
        raise ValueError("no re-evaluation completed; see the failed trials of the study")
    keep = {c.number for c in candidates}
    if set(result.source_trials) != keep:  # earlier calls re-evaluated other configurations
        result = _restrict(study, keep, confidence)
    study.storage.set_study_attr(study.name, SELECTION, result.to_dict(), user=False)
    if not result.distinguishable:
        runner = result.candidates[1]
        warn(
            study,
            "indistinguishable",
            f"study {study.name!r}: the top configurations cannot be told apart at "
            f"{confidence:.0%} confidence: trial {result.trial_number} (mean {result.mean:.6g}, "
            f"CI {result.ci_low:.6g} .. {result.ci_high:.6g}) vs trial {runner.trial_number} "
            f"(mean {runner.mean:.6g}, CI {runner.ci_low:.6g} .. {runner.ci_high:.6g}), Welch "
            f"p={result.p_value:.3g}; prefer the simpler or cheaper one, or re-evaluate more",
        )
    return result


def _run_fixed(
    study: Study,
    objective: Callable[[Any], Any],
    params: Mapping[str, Any],
    system_attrs: Mapping[str, Any],
) -> None:
    from tuningfork.study._optimize import run_one
    from tuningfork.study._study import _worker_id
    from tuningfork.study._trial import Trial

    # The values wait in FIXED_ATTR, as for enqueued trials, and become params when suggested.
    record = study.storage.create_trial(
        study.name,
        state=TrialState.RUNNING,
        system_attrs={"worker": _worker_id(), FIXED_ATTR: dict(params), **system_attrs},
    )
    trial = Trial(study, record, rng=trial_rng(study.seed, record.number))
    _, error = run_one(study, objective, trial, (Exception,))
    if error is not None:
        raise error


def _restrict(study: Study, keep: set[int], confidence: float) -> SelectionResult:
    from tuningfork._core.history import History

    history = study.history()
    trials = [
        t
        for t in history.trials
        if t.system_attrs.get(REEVALUATION_OF) is None or t.system_attrs[REEVALUATION_OF] in keep
    ]
    result = summarize_reevaluations(History(history.directions, trials, history.seq), confidence)
    assert result is not None
    return result


# -- reproducibility ------------------------------------------------------------------------
@dataclass(frozen=True)
class ReproductionResult:
    """Re-runs of one stored trial with its seed and parameters."""

    trial_number: int
    stored_value: float | None
    values: tuple[float, ...]
    matches: bool  # every re-run equals the stored value
    deterministic: bool  # the re-runs agree with each other (trivially True for one run)

    def summary(self) -> str:
        shown = ", ".join(f"{v!r}" for v in self.values)
        head = f"trial {self.trial_number}: stored {self.stored_value!r}, re-run {shown}"
        if self.matches:
            return head + ": reproduced"
        if not self.deterministic:
            return (
                head + ": runs with the same seed differ; the objective ignores trial.seed or "
                "has another source of randomness (unseeded RNG, threads, GPU)"
            )
        return head + ": MISMATCH with the stored value"


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def rerun(study: Study, number: int, objective: Callable[[Any], Any] | None = None) -> float:
    objective = objective if objective is not None else study.last_objective
    if objective is None:
        raise ValueError("rerun needs the objective: pass objective=...")
    record = study.storage.get_trial(study.name, number)
    trial = FixedTrial(record.params, seed=record.seed, number=record.number)
    clean, reason = validate_values(objective(trial), len(study.directions))
    if clean is None:
        raise ValueError(f"re-running trial {number}: {reason}")
    return clean[0]


def reproduce(
    study: Study, number: int, objective: Callable[[Any], Any] | None = None, runs: int = 1
) -> ReproductionResult:
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be an int >= 1, got {runs!r}")
    stored = study.storage.get_trial(study.name, number)
    values = tuple(rerun(study, number, objective) for _ in range(runs))
    deterministic = all(_close(v, values[0]) for v in values)
    matches = stored.value is not None and all(_close(v, stored.value) for v in values)
    result = ReproductionResult(number, stored.value, values, matches, deterministic)
    if not deterministic:
        warn(study, "seed_ignored", f"study {study.name!r}: {result.summary()}")
    return result
