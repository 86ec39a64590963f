"""Where objectives run. ``CommandObjective`` runs a training script as a trial's objective."""

from tuningfork.execution._command import (
    RESERVED_PLACEHOLDERS,
    CommandError,
    CommandObjective,
    CommandTimeoutError,
    MetricNotFoundError,
    TrialLike,
    terminate_running,
)
from tuningfork.execution._template import (
    CommandTemplate,
    CommandTemplateError,
    format_value,
    render_command,
)

__all__ = [
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
]
