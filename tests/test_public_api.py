"""The public API is curated: ``__all__`` lists exactly what each package exports on purpose.

Adding a public name is a decision: update the expected set here in the same change. A name that
appears in a package's namespace without being in ``__all__`` (an import leaking out of an
``__init__``) fails ``test_nothing_exported_by_accident``.
"""

from __future__ import annotations

import importlib
import types

import pytest

import tuningfork

EXPECTED: dict[str, set[str]] = {
    "tuningfork": {
        "Categorical",
        "Conditional",
        "ConfigError",
        "Decision",
        "Direction",
        "FixedTrial",
        "Float",
        "Int",
        "NoCompletedTrialsError",
        "ObjectiveFailedError",
        "SearchSpace",
        "SearchSpaceExhausted",
        "SpaceError",
        "StorageError",
        "Study",
        "StudyExistsError",
        "StudyNotFoundError",
        "StudyRecord",
        "Trial",
        "TrialFinishedError",
        "TrialPruned",
        "TrialRecord",
        "TrialState",
        "TuningSearchCV",
        "TuningforkError",
        "TuningforkWarning",
        "__version__",
        "check_leakage",
        "create_study",
        "cross_val_objective",
        "load_space",
        "load_study",
        "samplers",
        "schedulers",
        "seed_everything",
        "storage",
        "tune",
    },
    "tuningfork.space": {
        "Categorical",
        "Conditional",
        "Distribution",
        "Float",
        "Int",
        "SearchSpace",
        "bind",
        "decode_value",
        "distribution_from_dict",
        "distribution_to_dict",
        "dumps_distribution",
        "dumps_value",
        "encode_value",
        "load_space",
        "loads_distribution",
        "loads_value",
        "read_config_file",
        "space_from_dict",
        "space_from_spec",
        "space_to_dict",
    },
    "tuningfork.samplers": {
        "GPSampler",
        "GridSampler",
        "RandomSampler",
        "Sampler",
        "SobolSampler",
        "TPESampler",
    },
    "tuningfork.schedulers": {
        "ASHA",
        "Hyperband",
        "MedianStopping",
        "Patience",
        "Scheduler",
        "SuccessiveHalving",
        "Threshold",
    },
    "tuningfork.storage": {"InMemoryStorage", "Storage", "mask_password", "open_storage"},
    "tuningfork.study": {
        "FixedTrial",
        "ObjectiveFailedError",
        "ReproductionResult",
        "Study",
        "Terminated",
        "Trial",
        "WorkerStartupError",
        "create_study",
        "load_study",
        "tune",
    },
    "tuningfork.cli": {"main"},
    "tuningfork.execution": {
        "RESERVED_PLACEHOLDERS",
        "CommandError",
        "CommandObjective",
        "CommandTemplate",
        "CommandTemplateError",
        "CommandTimeoutError",
        "MetricNotFoundError",
        "TrialLike",
        "format_value",
        "render_command",
        "terminate_running",
    },
    "tuningfork.testing": {"StorageContract"},
    "tuningfork.analysis": {
        "Candidate",
        "Finding",
        "OverfitReport",
        "SelectionResult",
        "best_trial",
        "check_study",
        "is_candidate",
        "overfitting_report",
        "pareto_front",
        "pareto_mask",
        "summarize_reevaluations",
        "trials_dataframe",
        "trials_to_rows",
    },
    "tuningfork.integrations.sklearn": {"HalvingSchedule", "TuningSearchCV", "halving_schedule"},
    "tuningfork.integrations.partial_fit": {"fit_with_reports"},
    "tuningfork.integrations.xgboost": {"XGBoostPruningCallback"},
    "tuningfork.integrations.lightgbm": {"LightGBMPruningCallback"},
    "tuningfork.integrations.torch": {"LightningPruningCallback", "report_or_prune"},
    "tuningfork.integrations.validation": {
        "CrossValObjective",
        "LeakageReport",
        "check_leakage",
        "cross_val_objective",
    },
}


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_all_is_exactly_the_expected_set(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), f"{module_name}.__all__ has duplicates"
    assert set(exported) == EXPECTED[module_name]


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_every_name_in_all_exists(module_name: str) -> None:
    module = importlib.import_module(module_name)
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert missing == []


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_nothing_exported_by_accident(module_name: str) -> None:
    module = importlib.import_module(module_name)
    # A subpackage becomes an attribute of its parent once anything imports it: that is
    # Python's import system, not an export, so submodules not in __all__ are left out.
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not (
            isinstance(value, types.ModuleType)
            and value.__name__.startswith(module_name + ".")
            and name not in module.__all__
        )
        and name != "annotations"  # from __future__ import annotations
    }
    public |= {"__version__"} & set(vars(module))
    # names of optional extras, imported on first access (``tuningfork._LAZY``)
    public |= set(getattr(module, "_LAZY", {})) & set(module.__all__)
    assert public == set(module.__all__)


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_public_objects_claim_a_tuningfork_home(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in module.__all__:
        value = getattr(module, name)
        if isinstance(value, (type, types.FunctionType)):
            assert value.__module__.startswith("tuningfork."), name


def test_version_is_a_string() -> None:
    assert tuningfork.__version__ == "0.1.0"


def test_top_level_reexports_are_the_same_objects() -> None:
    from tuningfork import samplers, space, study

    assert tuningfork.Float is space.Float
    assert tuningfork.create_study is study.create_study
    assert tuningfork.samplers is samplers


def test_every_error_derives_from_the_root() -> None:
    errors = [
        tuningfork.ConfigError,
        tuningfork.NoCompletedTrialsError,
        tuningfork.ObjectiveFailedError,
        tuningfork.SearchSpaceExhausted,
        tuningfork.SpaceError,
        tuningfork.StorageError,
        tuningfork.StudyExistsError,
        tuningfork.StudyNotFoundError,
        tuningfork.TrialFinishedError,
        tuningfork.TrialPruned,
    ]
    for error in errors:
        assert issubclass(error, tuningfork.TuningforkError)
    assert issubclass(tuningfork.SpaceError, ValueError)
    assert issubclass(tuningfork.NoCompletedTrialsError, ValueError)
    assert issubclass(tuningfork.StudyNotFoundError, KeyError)
    assert issubclass(tuningfork.TrialFinishedError, RuntimeError)
    assert issubclass(tuningfork.ObjectiveFailedError, RuntimeError)
    assert issubclass(tuningfork.TuningforkWarning, UserWarning)
    assert str(tuningfork.StudyNotFoundError("no study named 'x'")) == "no study named 'x'"


def test_lazy_exports_do_not_import_their_extra() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tuningfork; assert 'sklearn.model_selection' not in sys.modules; "
        "assert tuningfork.TuningSearchCV.__name__ == 'TuningSearchCV'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
