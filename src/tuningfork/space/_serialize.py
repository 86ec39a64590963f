"""Exact JSON round-trips of values, distributions and spaces.

JSON alone cannot tell a tuple from a list, nor hold NaN; values are encoded so that
``decode_value(json.loads(json.dumps(encode_value(v))))`` has the same type and value as ``v``:
tuples become ``{"__tuple__": [...]}``, dicts ``{"__dict__": {...}}``, non-finite floats
``{"__float__": "nan"}``. ints and floats stay apart because JSON writes ``1`` and ``1.0``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from tuningfork._core.errors import SpaceError
from tuningfork.space._distributions import Categorical, Distribution, Float, Int
from tuningfork.space._space import Conditional, SearchSpace


def encode_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode_value(v) for v in value]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": {str(k): encode_value(v) for k, v in value.items()}}
    try:
        import numpy as np

        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return encode_value(float(value))
        if isinstance(value, np.bool_):
            return bool(value)
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(f"{value!r} of type {type(value).__name__} cannot be stored as JSON")


def decode_value(data: Any) -> Any:
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    if isinstance(data, dict):
        if "__tuple__" in data:
            return tuple(decode_value(v) for v in data["__tuple__"])
        if "__dict__" in data:
            return {k: decode_value(v) for k, v in data["__dict__"].items()}
        if "__float__" in data:
            return float(data["__float__"])
        raise ValueError(f"unknown encoded value {data!r}")
    return data


def dumps_value(value: Any) -> str:
    return json.dumps(encode_value(value), allow_nan=False)


def loads_value(text: str) -> Any:
    return decode_value(json.loads(text))


def distribution_to_dict(dist: Distribution) -> dict[str, Any]:
    if isinstance(dist, Float):
        out: dict[str, Any] = {"type": "float", "low": dist.low, "high": dist.high}
        if dist.log:
            out["log"] = True
        if dist.step is not None:
            out["step"] = dist.step
        return out
    if isinstance(dist, Int):
        out = {"type": "int", "low": dist.low, "high": dist.high}
        if dist.log:
            out["log"] = True
        if dist.step != 1:
            out["step"] = dist.step
        return out
    if isinstance(dist, Categorical):
        return {"type": "categorical", "choices": [encode_value(c) for c in dist.choices]}
    raise TypeError(f"cannot serialize {dist!r}")


def distribution_from_dict(data: Mapping[str, Any]) -> Distribution:
    kind = data.get("type")
    if kind == "float":
        return Float(data["low"], data["high"], log=data.get("log", False), step=data.get("step"))
    if kind == "int":
        return Int(data["low"], data["high"], log=data.get("log", False), step=data.get("step", 1))
    if kind == "categorical":
        return Categorical([decode_value(c) for c in data["choices"]])
    raise SpaceError(f"unknown distribution type {kind!r}; expected float, int or categorical")


def dumps_distribution(dist: Distribution) -> str:
    return json.dumps(distribution_to_dict(dist), allow_nan=False)


def loads_distribution(text: str) -> Distribution:
    return distribution_from_dict(json.loads(text))


def space_to_dict(space: SearchSpace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, item in space.items_with_conditions():
        if isinstance(item, Conditional):
            entry = distribution_to_dict(item.distribution)
            entry["when"] = {p: [encode_value(v) for v in vs] for p, vs in item.when.items()}
        else:
            entry = distribution_to_dict(item)
        out[name] = entry
    return out


def space_from_dict(data: Mapping[str, Any]) -> SearchSpace:
    params: dict[str, Distribution | Conditional] = {}
    for name, entry in data.items():
        dist = distribution_from_dict(entry)
        if "when" in entry:
            when = {p: [decode_value(v) for v in vs] for p, vs in entry["when"].items()}
            params[name] = Conditional(dist, when)
        else:
            params[name] = dist
    return SearchSpace(params)
