"""The ``tuningfork run`` config file (TOML or YAML), validated whole before anything runs."""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuningfork._core.errors import ConfigError, SpaceError
from tuningfork._core.rng import check_seed
from tuningfork.execution import RESERVED_PLACEHOLDERS, CommandTemplate, CommandTemplateError
from tuningfork.samplers import (
    GPSampler,
    GridSampler,
    RandomSampler,
    Sampler,
    SobolSampler,
    TPESampler,
)
from tuningfork.schedulers import (
    ASHA,
    Hyperband,
    MedianStopping,
    Patience,
    Scheduler,
    SuccessiveHalving,
    Threshold,
)
from tuningfork.space import SearchSpace, read_config_file, space_from_spec

SECTIONS: dict[str, frozenset[str]] = {
    "study": frozenset({"name", "direction", "directions", "seed", "storage", "sampler"}),
    "objective": frozenset(
        {
            "function",
            "style",
            "command",
            "metric",
            "cwd",
            "timeout",
            "env",
            "log_dir",
            "grace_period",
        }
    ),
    "run": frozenset({"n_trials", "timeout", "n_workers"}),
    "scheduler": frozenset(),  # "type" and that scheduler's arguments, checked by it
    "space": frozenset(),  # any parameter name
}
SAMPLERS = ("random", "sobol", "grid", "tpe", "gp")
SCHEDULERS: dict[str, type[Scheduler]] = {
    "median": MedianStopping,
    "patience": Patience,
    "threshold": Threshold,
    "successive_halving": SuccessiveHalving,
    "asha": ASHA,
    "hyperband": Hyperband,
}
STYLES = ("params", "trial")

_SQLITE = re.compile(r"^(sqlite(?:\+\w+)?:///)([^?]*)(\?.*)?$")


def resolve_storage(value: str, base: Path) -> str:
    """A storage URL with a relative SQLite path made absolute against ``base``.

    A plain path ending in ``.db`` (``results.db``) is shorthand for ``sqlite:///results.db``.
    """
    if "://" not in value and value.endswith(".db"):
        value = f"sqlite:///{value}"
    match = _SQLITE.match(value)
    if match is None:
        return value
    prefix, path, query = match.group(1), match.group(2), match.group(3) or ""
    if not path or path == ":memory:" or path.startswith("/"):
        return value
    return f"{prefix}{(base / path).resolve()}{query}"


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (``None`` for other storages and in-memory SQLite)."""
    match = _SQLITE.match(url)
    if match is None or not match.group(2) or match.group(2) == ":memory:":
        return None
    return Path(match.group(2))


@dataclass
class RunConfig:
    """A validated ``tuningfork run`` configuration (paths already absolute)."""

    path: Path
    study_name: str
    directions: list[str]
    seed: int | None
    storage: str
    sampler_name: str
    space: SearchSpace | None
    scheduler: Scheduler | None
    objective_kind: str  # "function" | "command"
    function: Callable[..., Any] | None = None
    style: str = "params"
    command: str | list[str] | None = None
    metric: str | list[str] | None = None
    cwd: Path | None = None
    command_timeout: float | None = None
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    grace_period: float = 5.0
    n_trials: int | None = None
    timeout: float | None = None
    n_workers: int = 1

    @property
    def base(self) -> Path:
        return self.path.parent

    def make_sampler(self) -> Sampler:
        if self.sampler_name == "sobol":
            return SobolSampler()
        if self.sampler_name == "grid":
            assert self.space is not None
            return GridSampler(self.space)
        if self.sampler_name == "tpe":
            return TPESampler()
        if self.sampler_name == "gp":
            return GPSampler()
        return RandomSampler()


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: {message}")

    def table(self, data: Mapping[str, Any], section: str) -> dict[str, Any]:
        value = data.get(section, {})
        if not isinstance(value, Mapping):
            raise self.error(f"[{section}]", f"expected a table, got {_kind(value)}")
        table = dict(value)
        allowed = SECTIONS[section]
        if allowed:
            for key in table:
                if key not in allowed:
                    raise self.error(
                        f"[{section}] {key}",
                        f"unknown key{_hint(key, allowed)}; "
                        f"allowed keys: {', '.join(sorted(allowed))}",
                    )
        return table

    def string(self, table: Mapping[str, Any], section: str, key: str) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise self.error(f"[{section}] {key}", f"expected a non-empty string, got {value!r}")
        return value

    def choice(
        self, table: Mapping[str, Any], section: str, key: str, choices: tuple[str, ...]
    ) -> str | None:
        value = self.string(table, section, key)
        if value is not None and value not in choices:
            raise self.error(
                f"[{section}] {key}",
                f"{value!r} is not one of {', '.join(map(repr, choices))}{_hint(value, choices)}",
            )
        return value

    def integer(self, table: Mapping[str, Any], section: str, key: str, minimum: int) -> int | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(f"[{section}] {key}", f"expected an int >= {minimum}, got {value!r}")
        return value

    def seconds(self, table: Mapping[str, Any], section: str, key: str) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise self.error(
                f"[{section}] {key}", f"expected a number of seconds > 0, got {value!r}"
            )
        return float(value)


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _hint(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_run_config(
    path: str | Path,
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
    n_workers: int | None = None,
    storage: str | None = None,
    study: str | None = None,
    seed: int | None = None,
) -> RunConfig:
    """Read and validate a config file; keywords given override the file's values."""
    path = Path(path).resolve()
    data = read_config_file(path)
    check = _Checker(path)
    for section in data:
        if section not in SECTIONS:
            raise check.error(
                f"[{section}]",
                f"unknown section{_hint(section, SECTIONS)}; allowed sections: "
                f"{', '.join(f'[{s}]' for s in SECTIONS)}",
            )
    base = path.parent
    study_t = check.table(data, "study")
    objective_t = check.table(data, "objective")
    run_t = check.table(data, "run")

    # [study]
    name = study or check.string(study_t, "study", "name") or path.stem
    if "direction" in study_t and "directions" in study_t:
        raise check.error("[study]", "give direction or directions, not both")
    if "directions" in study_t:
        raw = study_t["directions"]
        if not isinstance(raw, list) or not raw or not all(isinstance(d, str) for d in raw):
            raise check.error(
                "[study] directions",
                f"expected a list like ['minimize', 'maximize'], got {raw!r}",
            )
        directions = raw
    else:
        directions = [check.string(study_t, "study", "direction") or "minimize"]
    for d in directions:
        if d.lower() not in ("minimize", "maximize", "min", "max"):
            key = "directions" if "directions" in study_t else "direction"
            raise check.error(
                f"[study] {key}", f"{d!r} is not understood; expected 'minimize' or 'maximize'"
            )
    if seed is not None:
        try:
            seed = check_seed(seed)
        except ValueError as exc:
            raise ConfigError(f"--seed: {exc}") from None
    elif "seed" in study_t:
        try:
            seed = check_seed(study_t["seed"])
        except ValueError as exc:
            raise check.error("[study] seed", str(exc)) from None
    storage_url = storage or check.string(study_t, "study", "storage")
    if storage_url is None:
        storage_url = f"sqlite:///{base / 'tuningfork.db'}"
    elif storage is None:  # a path in the file is relative to the file
        storage_url = resolve_storage(storage_url, base)
    else:
        storage_url = resolve_storage(storage_url, Path.cwd())
    sampler = check.choice(study_t, "study", "sampler", SAMPLERS) or "random"

    # [space]
    space: SearchSpace | None = None
    if "space" in data:
        raw_space = data["space"]
        if not isinstance(raw_space, Mapping):
            raise check.error("[space]", f"expected a table of parameters, got {_kind(raw_space)}")
        try:
            space = space_from_spec(raw_space)
        except SpaceError as exc:
            raise check.error("[space]", str(exc)) from None
        if not len(space):
            space = None

    config = RunConfig(
        path=path,
        study_name=name,
        directions=directions,
        seed=seed,
        storage=storage_url,
        sampler_name=sampler,
        space=space,
        scheduler=_scheduler(check, check.table(data, "scheduler")),
        objective_kind="command",
    )
    if sampler == "grid":
        if space is None:
            raise check.error("[study] sampler", "'grid' needs a [space] table")
        try:
            config.make_sampler()
        except SpaceError as exc:
            raise check.error(
                "[study] sampler", f"'grid' cannot walk this [space]: {exc}"
            ) from None

    # [objective]
    _objective(check, objective_t, config)

    # [run]
    config.n_trials = (
        n_trials if n_trials is not None else check.integer(run_t, "run", "n_trials", 0)
    )
    config.timeout = timeout if timeout is not None else check.seconds(run_t, "run", "timeout")
    config.n_workers = (
        n_workers if n_workers is not None else check.integer(run_t, "run", "n_workers", 1) or 1
    )
    return config


def _scheduler(check: _Checker, table: dict[str, Any]) -> Scheduler | None:
    """``[scheduler]``: ``type = "asha"`` and that scheduler's keyword arguments."""
    if not table:
        return None
    kind = table.pop("type", None)
    if kind not in SCHEDULERS:
        raise check.error(
            "[scheduler] type",
            f"{kind!r} is not a scheduler{_hint(str(kind), SCHEDULERS)}; expected one of "
            f"{', '.join(repr(k) for k in SCHEDULERS)}",
        )
    parameters = inspect.signature(SCHEDULERS[kind]).parameters
    for key in table:
        if key not in parameters:
            raise check.error(
                f"[scheduler] {key}",
                f"unknown key for {kind!r}{_hint(key, parameters)}; allowed keys: type, "
                f"{', '.join(parameters)}",
            )
    missing = [
        name
        for name, p in parameters.items()
        if p.default is inspect.Parameter.empty and name not in table
    ]
    if missing:
        raise check.error("[scheduler]", f"{kind!r} needs {', '.join(map(repr, missing))}")
    try:
        return SCHEDULERS[kind](**table)
    except (TypeError, ValueError) as exc:
        raise check.error("[scheduler]", f"{kind}: {exc}") from None


def _objective(check: _Checker, table: dict[str, Any], config: RunConfig) -> None:
    has_function, has_command = "function" in table, "command" in table
    if has_function == has_command:
        raise check.error(
            "[objective]",
            "give exactly one of 'function = \"module:function\"' or "
            "'command = \"python train.py --lr {lr}\"'"
            + (" (both are given)" if has_function else ""),
        )
    base = config.base
    if has_function:
        config.objective_kind = "function"
        for key in ("command", "metric", "cwd", "timeout", "env", "log_dir", "grace_period"):
            if key in table:
                raise check.error(
                    f"[objective] {key}", "only for a 'command' objective, not a 'function'"
                )
        config.style = check.choice(table, "objective", "style", STYLES) or "params"
        if config.style == "params" and config.space is None:
            raise check.error(
                "[space]",
                "a function with style = 'params' needs a [space] table (or use "
                "style = 'trial' to suggest parameters inside the function)",
            )
        spec = check.string(table, "objective", "function")
        assert spec is not None
        config.function = _import_function(check, spec, base)
        return

    if "style" in table:
        raise check.error("[objective] style", "only for a 'function' objective")
    command = table["command"]
    if (isinstance(command, str) and command.strip()) or (
        isinstance(command, list) and command and all(isinstance(a, str) for a in command)
    ):
        pass
    else:
        raise check.error(
            "[objective] command",
            f"expected a string or a non-empty list of strings, got {command!r}",
        )
    if config.space is None:
        raise check.error("[space]", "a 'command' objective needs a [space] table of parameters")
    try:
        CommandTemplate(command).check([*config.space, *RESERVED_PLACEHOLDERS])
    except CommandTemplateError as exc:
        raise check.error("[objective] command", str(exc)) from None
    config.command = command
    if "metric" not in table:
        raise check.error(
            "[objective] metric",
            "missing: name the JSON key the command prints its result under, e.g. "
            'metric = "accuracy" for a line like {"accuracy": 0.93}',
        )
    metric = table["metric"]
    n = len(config.directions)
    if n == 1 and not (isinstance(metric, str) and metric):
        raise check.error("[objective] metric", f"expected a JSON key (a string), got {metric!r}")
    if n > 1 and not (
        isinstance(metric, list) and len(metric) == n and all(isinstance(m, str) for m in metric)
    ):
        raise check.error(
            "[objective] metric",
            f"the study has {n} directions, so expected a list of {n} JSON keys, got {metric!r}",
        )
    if metric == "step" or (isinstance(metric, list) and "step" in metric):
        raise check.error("[objective] metric", "'step' marks intermediate lines; pick another key")
    config.metric = metric
    cwd = check.string(table, "objective", "cwd")
    config.cwd = (base / cwd).resolve() if cwd is not None else base
    if not config.cwd.is_dir():
        raise check.error("[objective] cwd", f"{str(config.cwd)!r} is not a directory")
    config.command_timeout = check.seconds(table, "objective", "timeout")
    env = table.get("env", {})
    if not isinstance(env, Mapping):
        raise check.error("[objective] env", f'expected a table of NAME = "value", got {env!r}')
    for key, value in env.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise check.error(
                f"[objective] env.{key}", f"expected a string (or a number), got {value!r}"
            )
    config.env = {str(k): str(v) for k, v in env.items()}
    log_dir = check.string(table, "objective", "log_dir") or "tuningfork_logs"
    config.log_dir = (base / log_dir).resolve() / config.study_name
    grace = table.get("grace_period", 5.0)
    if isinstance(grace, bool) or not isinstance(grace, (int, float)) or grace < 0:
        raise check.error(
            "[objective] grace_period", f"expected a number of seconds >= 0, got {grace!r}"
        )
    config.grace_period = float(grace)


def _import_function(check: _Checker, spec: str, base: Path) -> Callable[..., Any]:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise check.error("[objective] function", f"expected 'module:function', got {spec!r}")
    # The module is looked up next to the config file first; it stays importable for the run.
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise check.error(
            "[objective] function",
            f"cannot import module {module_name!r} (looked in {str(base)!r} and sys.path): {exc}",
        ) from None
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise check.error(
                "[objective] function", f"module {module_name!r} has no {attr!r}"
            ) from None
    if not callable(obj):
        raise check.error("[objective] function", f"{spec!r} is not callable")
    return obj  # type: ignore[no-any-return]
