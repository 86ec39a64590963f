"""Declarative spaces from plain dicts, TOML and YAML files.

Each parameter is a table::

    [space]
    lr     = { type = "float", low = 1e-5, high = 1e-1, log = true }
    depth  = { type = "int", low = 2, high = 12 }
    kernel = { type = "categorical", choices = ["rbf", "poly"] }
    degree = { type = "int", low = 2, high = 5, when = { kernel = "poly" } }

A bare list is shorthand for a categorical. ``when`` makes a parameter conditional: it exists only
when every named parent has the given value (or one of a list of values).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tuningfork._core.errors import ConfigError, SpaceError
from tuningfork.space._distributions import Categorical, Distribution, Float, Int
from tuningfork.space._space import Conditional, SearchSpace

_KEYS = {
    "float": {"type", "low", "high", "log", "step", "when"},
    "int": {"type", "low", "high", "log", "step", "when"},
    "categorical": {"type", "choices", "when"},
}


def _entry_to_distribution(name: str, entry: Any) -> Distribution | Conditional:
    if isinstance(entry, (Distribution, Conditional)):
        return entry
    if isinstance(entry, (list, tuple)):
        entry = {"type": "categorical", "choices": list(entry)}
    if not isinstance(entry, Mapping):
        raise SpaceError(
            f"parameter {name!r}: {entry!r} is not a parameter definition; expected a table like "
            '{type = "float", low = 0.0, high = 1.0} or a list of choices'
        )
    kind = entry.get("type")
    if kind not in _KEYS:
        raise SpaceError(
            f"parameter {name!r}: type={kind!r} is not known; expected one of "
            "'float', 'int', 'categorical'"
        )
    unknown = set(entry) - _KEYS[kind]
    if unknown:
        raise SpaceError(
            f"parameter {name!r}: unknown key(s) {sorted(unknown)} for type {kind!r}; "
            f"allowed: {sorted(_KEYS[kind])}"
        )
    try:
        dist: Distribution
        if kind == "categorical":
            if "choices" not in entry:
                raise SpaceError("'choices' is missing")
            choices = [tuple(c) if isinstance(c, list) else c for c in entry["choices"]]
            dist = Categorical(choices)
        else:
            for key in ("low", "high"):
                if key not in entry:
                    raise SpaceError(f"{key!r} is missing")
            if kind == "float":
                dist = Float(
                    entry["low"], entry["high"], log=entry.get("log", False), step=entry.get("step")
                )
            else:
                dist = Int(
                    entry["low"],
                    entry["high"],
                    log=entry.get("log", False),
                    step=entry.get("step", 1),
                )
    except (SpaceError, ValueError, TypeError) as exc:
        raise SpaceError(f"parameter {name!r}: {exc}") from None
    if "when" in entry:
        return Conditional(dist, entry["when"])
    return dist


def space_from_spec(spec: Mapping[str, Any] | SearchSpace) -> SearchSpace:
    """A SearchSpace from a dict of distributions and/or plain definitions."""
    if isinstance(spec, SearchSpace):
        return spec
    if not isinstance(spec, Mapping):
        raise SpaceError(
            f"a search space must be a dict of name -> definition, got {type(spec).__name__}"
        )
    return SearchSpace({name: _entry_to_distribution(name, e) for name, e in spec.items()})


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Load a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file into a dict."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8")
    if suffix == ".toml":
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
        try:
            data: dict[str, Any] = tomllib.loads(text)
            return data
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if suffix in (".yaml", ".yml"):
        import yaml

        from tuningfork.space._yaml import load_yaml

        try:
            data = load_yaml(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(
                f"{path}: expected a mapping at the top level, got {type(data).__name__}"
            )
        return data
    raise ConfigError(f"{path}: unknown config format {suffix!r}; use .toml, .yaml or .yml")


def load_space(path: str | Path, key: str | None = "space") -> SearchSpace:
    """A SearchSpace from a TOML/YAML file: its ``[space]`` table, or the whole file."""
    data = read_config_file(path)
    if key is not None and key in data:
        data = data[key]
    return space_from_spec(data)
