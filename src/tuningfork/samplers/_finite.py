"""Helpers for finite spaces: which configurations a history has already used."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from tuningfork._core.history import History
from tuningfork.space import SearchSpace
from tuningfork.space._distributions import _typed_key

PROPOSAL_ATTR = "proposal"  # system attribute: a running trial's proposal, not yet suggested
FIXED_ATTR = "fixed_params"  # system attribute: values enqueued by hand, taken when suggested


def config_key(space: SearchSpace, params: Mapping[str, Any]) -> Hashable:
    return tuple(
        (name, _typed_key(params[name])) for name in space.active_names(params) if name in params
    )


def used_keys(space: SearchSpace, history: History) -> set[Hashable]:
    """Keys of every configuration some trial holds (its params, or its pending proposal)."""
    used: set[Hashable] = set()
    for record in history.trials:
        params: Mapping[str, Any] = record.params
        if not record.state.is_finished():
            params = {
                **record.system_attrs.get(PROPOSAL_ATTR, {}),
                **record.system_attrs.get(FIXED_ATTR, {}),
                **params,
            }
        active = space.active_names(params)
        if active and all(n in params and space[n].contains(params[n]) for n in active):
            used.add(config_key(space, params))
    return used
