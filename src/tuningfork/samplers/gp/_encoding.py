"""The GP's model space: how a search space's unit-cube rows become kernel inputs and back.

Per dimension, by distribution:

* continuous ``Float`` — the unit-cube coordinate (log scales already warped);
* finite numbers (``Int``, stepped ``Float``) — the unit coordinate of the value's bin centre
  (for ``Int(log=True)``, the log-warped position of the integer), so distances between values
  stay meaningful; gradient steps treat them as continuous and results are snapped back;
* ``Categorical`` — the choice index, compared by the overlap kernel (equal or not);
* zero-width numbers (``low == high``) — a constant 0.5.

Conditional parameters that are inactive in a row are *imputed* with a constant: 0.5 for
numbers and an extra code ``n_choices`` for categories (different from every real choice).
All trials are then used to fit one GP over the joint space; :meth:`Encoding.canonicalize`
keeps candidates consistent (an inactive parameter always holds its constant).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tuningfork.samplers.gp._kernels import Array, BoolArray
from tuningfork.space import Categorical, Int, SearchSpace

CONTINUOUS, DISCRETE, CATEGORICAL, FIXED = 0, 1, 2, 3
_IMPUTED_NUMBER = 0.5
_KEY_DECIMALS = 9


class Encoding:
    """Model-space view of one :class:`SearchSpace` (see the module docstring)."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        names = list(space)
        self.dim = len(names)
        kinds, sizes = [], []
        self._int_log: dict[int, tuple[int, int, float, float]] = {}
        for j, name in enumerate(names):
            dist = space[name]
            n = dist.n_points
            if isinstance(dist, Categorical):
                kinds.append(CATEGORICAL)
                sizes.append(len(dist.choices))
            elif dist.single_value() is not None:
                kinds.append(FIXED)
                sizes.append(1)
            elif n is None:
                kinds.append(CONTINUOUS)
                sizes.append(0)
            else:
                kinds.append(DISCRETE)
                sizes.append(n)
                if isinstance(dist, Int) and dist.log:
                    lo, hi = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
                    self._int_log[j] = (dist.low, dist.high, lo, hi)
        self.kinds = np.array(kinds, dtype=np.int64)
        self.sizes = np.array(sizes, dtype=np.int64)
        self.is_cat: BoolArray = self.kinds == CATEGORICAL
        self._movable = (self.kinds == CONTINUOUS) | ((self.kinds == DISCRETE) & (self.sizes > 1))
        self.impute = np.where(self.is_cat, self.sizes.astype(np.float64), _IMPUTED_NUMBER)
        # child index -> [(parent index, accepted model-space values of the parent)]
        self._conditions: list[tuple[int, list[tuple[int, Array]]]] = []
        for j, name in enumerate(names):
            cond = space.condition(name)
            if cond is None:
                continue
            parents = []
            for parent, accepted in cond.when.items():
                p = names.index(parent)
                units = np.array([[space[parent].to_unit(v)] for v in accepted], dtype=np.float64)
                parents.append((p, self._from_unit_col(units[:, 0], p)))
            self._conditions.append((j, parents))

    @property
    def signature(self) -> tuple[Any, ...]:
        """Identifies the shape of the model space (for caching fitted hyperparameters)."""
        return (tuple(self.kinds.tolist()), tuple(self.sizes.tolist()))

    @property
    def n_free(self) -> int:
        """Dimensions that can take more than one value."""
        return int(np.sum(self.sizes != 1))

    # -- conversions ---------------------------------------------------------------------------
    def _from_unit_col(self, u: Array, j: int) -> Array:
        if self.kinds[j] == CATEGORICAL:
            k = float(self.sizes[j])
            return np.asarray(np.clip(np.floor(u * k), 0.0, k - 1.0))
        return self._round_col(u, j)

    def _round_col(self, u: Array, j: int) -> Array:
        kind = self.kinds[j]
        if kind == CONTINUOUS:
            return np.asarray(np.clip(u, 0.0, 1.0))
        if kind == FIXED:
            return np.full_like(u, _IMPUTED_NUMBER)
        if kind == CATEGORICAL:
            return np.asarray(np.clip(np.rint(u), 0.0, float(self.sizes[j] - 1)))
        if j in self._int_log:
            low, high, lo, hi = self._int_log[j]
            v = np.clip(np.rint(np.exp(lo + np.clip(u, 0.0, 1.0) * (hi - lo))), low, high)
            return np.asarray((np.log(v) - lo) / (hi - lo))
        n = float(self.sizes[j])
        index = np.minimum(np.floor(np.clip(u, 0.0, 1.0) * n), n - 1.0)
        return np.asarray((index + 0.5) / n)

    def from_unit(self, unit_rows: Array) -> Array:
        """Unit-cube rows (NaN for inactive) to canonical model rows."""
        unit_rows = np.atleast_2d(np.asarray(unit_rows, dtype=np.float64))
        out = np.empty_like(unit_rows)
        for j in range(self.dim):
            out[:, j] = self._from_unit_col(unit_rows[:, j], j)
        return self._impute(out)

    def to_unit(self, row: Array) -> list[float]:
        """A model row back to a unit-cube row that :meth:`SearchSpace.from_unit_row` reads."""
        out = []
        for j in range(self.dim):
            if self.kinds[j] == CATEGORICAL:
                k = int(self.sizes[j])
                out.append((min(max(round(float(row[j])), 0), k - 1) + 0.5) / k)
            else:
                out.append(float(np.clip(row[j], 0.0, 1.0)))
        return out

    def to_params(self, row: Array) -> dict[str, Any]:
        return self.space.from_unit_row(self.to_unit(row))

    # -- the ModelSpace protocol of the acquisition optimizer ----------------------------------
    def active(self, rows: Array) -> BoolArray:
        """Which dims of each row are active, given the parents' values in that row."""
        act = np.ones(rows.shape, dtype=bool)
        for child, parents in self._conditions:
            ok = np.ones(rows.shape[0], dtype=bool)
            for p, accepted in parents:
                match = np.any(np.abs(rows[:, p, None] - accepted[None, :]) <= 1e-9, axis=1)
                ok &= act[:, p] & match
            act[:, child] = ok
        return act

    def _impute(self, rows: Array) -> Array:
        if self._conditions:
            act = self.active(rows)
            rows[~act] = np.broadcast_to(self.impute, rows.shape)[~act]
        return rows

    def canonicalize(self, rows: Array) -> Array:
        rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
        out = np.empty_like(rows)
        for j in range(self.dim):
            out[:, j] = self._round_col(rows[:, j], j)
        return self._impute(out)

    def variable_mask(self, row: Array) -> BoolArray:
        if not self._conditions:
            return np.array(self._movable, dtype=bool)
        return np.asarray(self._movable & self.active(row[None, :])[0], dtype=bool)

    def neighbors(self, row: Array) -> Array:
        act = self.active(row[None, :])[0] if self._conditions else np.ones(self.dim, bool)
        out: list[Array] = []
        for j in range(self.dim):
            if not act[j]:
                continue
            values: list[float] = []
            if self.kinds[j] == CATEGORICAL:
                values = [float(c) for c in range(int(self.sizes[j])) if c != round(row[j])]
            elif self.kinds[j] == DISCRETE and self.sizes[j] > 1:
                if j in self._int_log:
                    low, high, lo, hi = self._int_log[j]
                    v = round(math.exp(lo + float(row[j]) * (hi - lo)))
                    values = [
                        (math.log(w) - lo) / (hi - lo) for w in (v - 1, v + 1) if low <= w <= high
                    ]
                else:
                    step = 1.0 / float(self.sizes[j])
                    values = [u for u in (row[j] - step, row[j] + step) if 0.0 < u < 1.0]
            for value in values:
                moved = row.copy()
                moved[j] = value
                out.append(moved)
        if not out:
            return np.empty((0, self.dim))
        return np.array(out)

    def key(self, row: Array) -> tuple[float, ...]:
        return tuple(np.round(row, _KEY_DECIMALS).tolist())
