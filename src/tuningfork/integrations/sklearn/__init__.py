"""scikit-learn integration: :class:`TuningSearchCV`, a drop-in search estimator.

Needs scikit-learn (``pip install "tuningfork[sklearn]"``); importing this package without it
raises ``ImportError`` with that hint.
"""

from tuningfork._core._imports import optional_import as _optional_import

_optional_import("sklearn", "sklearn")

from tuningfork.integrations.sklearn._schedule import (  # noqa: E402
    HalvingSchedule,
    halving_schedule,
)
from tuningfork.integrations.sklearn._search import TuningSearchCV  # noqa: E402

__all__ = ["HalvingSchedule", "TuningSearchCV", "halving_schedule"]
