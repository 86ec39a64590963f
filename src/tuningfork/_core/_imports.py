"""Optional extras, imported at the point of use with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType


def optional_import(module: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{module!r} is needed for this feature but is not installed; "
            f'install it with: pip install "tuningfork[{extra}]"'
        ) from exc
