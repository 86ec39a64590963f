"""scikit-learn style parameter specs -> a tuningfork SearchSpace, and trial values back.

A ``param_distributions`` value may be

- a tuningfork distribution (``Float``, ``Int``, ``Categorical``): used as is;
- a frozen ``scipy.stats`` distribution: ``uniform`` becomes ``Float(low, high)``,
  ``loguniform`` (``reciprocal``) becomes ``Float(low, high, log=True)`` and ``randint``
  becomes ``Int(low, high - 1)`` exactly; any other one is searched through its quantile
  function: the sampler picks a unit-cube coordinate ``u`` (``Float(0, 1)``) and the value is
  ``dist.ppf(u)`` (rounded to an int for discrete distributions), so that a uniform ``u`` gives
  a draw from the distribution;
- a list (or tuple, or 1-d array) of values: a ``Categorical``. Values that tuningfork can store
  as they are (None, bool, int, float, str and containers of those; numpy scalars are turned
  into Python ones) are the choices; otherwise (estimators, callables, ...) the study stores the
  index of the choice and the estimator gets the object itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tuningfork._core.errors import SpaceError
from tuningfork.space import Categorical, Distribution, Float, Int, SearchSpace

#: ppf coordinates stay inside (0, 1): the quantile function of an unbounded distribution is
#: infinite at the ends.
_PPF_EPS = 1e-12

_UNIFORM = ("uniform",)
_LOGUNIFORM = ("loguniform", "reciprocal")
_RANDINT = ("randint",)


@dataclass(frozen=True)
class Param:
    """One searched parameter: the distribution the study stores, and how to decode it."""

    name: str
    distribution: Distribution
    kind: str  # "value" | "index" | "ppf"
    choices: tuple[Any, ...] = ()
    frozen: Any = None  # the scipy frozen distribution for "ppf"
    discrete: bool = False

    def decode(self, stored: Any) -> Any:
        if self.kind == "index":
            return self.choices[int(stored)]
        if self.kind == "ppf":
            u = min(max(float(stored), _PPF_EPS), 1.0 - _PPF_EPS)
            value = self.frozen.ppf(u)
            return round(float(value)) if self.discrete else float(value)
        return stored


def _python_scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _is_scipy_frozen(value: Any) -> bool:
    return hasattr(value, "rvs") and hasattr(value, "ppf") and hasattr(value, "dist")


def _from_scipy(name: str, frozen: Any) -> Param:
    dist_name = getattr(frozen.dist, "name", "")
    discrete = hasattr(frozen.dist, "pmf")
    low, high = (float(v) for v in frozen.support())
    try:
        if dist_name in _UNIFORM and np.isfinite([low, high]).all():
            return Param(name, Float(low, high), "value")
        loc = float(frozen.kwds.get("loc", 0.0)) if len(frozen.args) < 3 else frozen.args[2]
        if dist_name in _LOGUNIFORM and loc == 0 and low > 0:
            return Param(name, Float(low, high, log=True), "value")
        if dist_name in _RANDINT and np.isfinite([low, high]).all():
            return Param(name, Int(int(low), int(high)), "value")
    except SpaceError as exc:
        raise SpaceError(f"parameter {name!r}: {exc}") from None
    return Param(name, Float(0.0, 1.0), "ppf", frozen=frozen, discrete=discrete)


def _from_values(name: str, values: Any) -> Param:
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise SpaceError(
                f"parameter {name!r}: an array of values must be 1-d, got shape {values.shape}"
            )
        values = list(values)
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise SpaceError(
            f"parameter {name!r}: expected a tuningfork distribution, a frozen scipy.stats "
            f"distribution or a list of values, got {values!r}"
        )
    if len(values) == 0:
        raise SpaceError(f"parameter {name!r}: the list of values is empty")
    plain = [_python_scalar(v) for v in values]
    try:
        return Param(name, Categorical(plain), "value")
    except SpaceError:
        # not storable (estimators, callables, ...) or equal after conversion: store indices
        return Param(name, Categorical(list(range(len(values)))), "index", choices=tuple(values))


def to_params(spec: Mapping[str, Any]) -> list[Param]:
    """Convert one ``param_distributions`` dict (see the module docstring)."""
    if not isinstance(spec, Mapping) or not spec:
        raise SpaceError(
            "param_distributions must be a non-empty dict of parameter name -> distribution "
            f"or list of values, got {spec!r}"
        )
    out = []
    for name, value in spec.items():
        if not isinstance(name, str):
            raise SpaceError(f"parameter names must be str, got {name!r}")
        if isinstance(value, Distribution):
            out.append(Param(name, value, "value"))
        elif _is_scipy_frozen(value):
            out.append(_from_scipy(name, value))
        elif hasattr(value, "rvs"):
            raise SpaceError(
                f"parameter {name!r}: {value!r} has rvs() but no ppf(); TuningSearchCV needs "
                "a frozen scipy.stats distribution (or a tuningfork distribution, or a list)"
            )
        else:
            out.append(_from_values(name, value))
    return out


def to_space(params: Sequence[Param]) -> SearchSpace:
    return SearchSpace({p.name: p.distribution for p in params})


def grid_points(param_grid: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[list[Param]]:
    """Validate a ``param_grid`` (a dict of lists, or a list of such dicts)."""
    grids = [param_grid] if isinstance(param_grid, Mapping) else list(param_grid)
    if not grids:
        raise SpaceError("param_grid is an empty list; give at least one dict of lists")
    out = []
    for grid in grids:
        if not isinstance(grid, Mapping) or not grid:
            raise SpaceError(
                f"param_grid must be a dict of name -> list of values or a list of such dicts, "
                f"got {grid!r}"
            )
        params = []
        for name, values in grid.items():
            if isinstance(values, Distribution):
                if values.n_points is None:
                    raise SpaceError(
                        f"parameter {name!r}: {values!r} is continuous, so it has no grid; give "
                        "a list of values or a step"
                    )
                params.append(Param(name, values, "value"))
            else:
                params.append(_from_values(name, values))
        out.append(params)
    return out
