"""Command templates: ``python train.py --lr {lr}`` with parameter values put in verbatim.

Placeholders are matched by exact name, so names may hold characters that ``str.format`` would
read as attribute or index access (``{optim.lr}``, ``{layers[0]}``, ``{drop-out}``). ``{{`` and
``}}`` are literal braces. A string template is split with :func:`shlex.split` *before* values
are put in, so a value with spaces stays one argument and is never parsed by a shell.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuningfork._core.errors import TuningforkError


class CommandTemplateError(TuningforkError, ValueError):
    """A command template is malformed, or names a placeholder that has no value."""


@dataclass(frozen=True)
class _Placeholder:
    name: str


_Part = str | _Placeholder


def _parse_arg(arg: str) -> tuple[_Part, ...]:
    parts: list[_Part] = []
    text: list[str] = []
    i = 0
    while i < len(arg):
        char = arg[i]
        if char == "{":
            if arg.startswith("{{", i):
                text.append("{")
                i += 2
                continue
            end = arg.find("}", i + 1)
            name = arg[i + 1 : end] if end != -1 else ""
            if end == -1 or not name or "{" in name:
                raise CommandTemplateError(
                    f"argument {arg!r}: '{{' at position {i} does not open a placeholder like "
                    "'{name}'; write '{{' for a literal brace"
                )
            if text:
                parts.append("".join(text))
                text = []
            parts.append(_Placeholder(name))
            i = end + 1
            continue
        if char == "}":
            if arg.startswith("}}", i):
                text.append("}")
                i += 2
                continue
            raise CommandTemplateError(
                f"argument {arg!r}: '}}' at position {i} closes no placeholder; write '}}}}' for "
                "a literal brace"
            )
        text.append(char)
        i += 1
    if text:
        parts.append("".join(text))
    return tuple(parts)


def format_value(value: Any) -> str:
    """How a parameter value is written into a command: strings as they are, floats in their
    shortest exact form (``0.001``, ``1e-05``), ``True``/``False``, ``None``, and tuples or lists
    as JSON (``[1, 2]``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return json.dumps(list(value))
    return str(value)


class CommandTemplate:
    """A parsed command: a list of arguments, each literal text and ``{name}`` placeholders.

    ``CommandTemplate("python train.py --lr {lr}").render({"lr": 0.01})`` returns
    ``["python", "train.py", "--lr", "0.01"]``.
    """

    def __init__(self, command: str | Sequence[str]) -> None:
        if isinstance(command, str):
            try:
                argv = shlex.split(command)
            except ValueError as exc:
                raise CommandTemplateError(f"command {command!r} cannot be split: {exc}") from None
        elif isinstance(command, Sequence) and all(isinstance(a, str) for a in command):
            argv = list(command)
        else:
            raise CommandTemplateError(
                f"a command must be a string or a list of strings, got {command!r}"
            )
        if not argv:
            raise CommandTemplateError("the command is empty")
        self.source = command
        self._args = [_parse_arg(a) for a in argv]

    def __repr__(self) -> str:
        return f"CommandTemplate({self.source!r})"

    @property
    def placeholders(self) -> list[str]:
        """Placeholder names, in first-use order."""
        names: list[str] = []
        for parts in self._args:
            for part in parts:
                if isinstance(part, _Placeholder) and part.name not in names:
                    names.append(part.name)
        return names

    def check(self, known: Collection[str]) -> None:
        """Raise :class:`CommandTemplateError` if a placeholder is not in ``known``."""
        unknown = [n for n in self.placeholders if n not in known]
        if unknown:
            raise _unknown(unknown, known)

    def render(self, values: Mapping[str, Any], inactive: Collection[str] = ()) -> list[str]:
        """The argument list with ``values`` put in.

        An argument naming an ``inactive`` parameter (a conditional parameter absent from this
        trial) is left out; when such an argument is only the placeholder, a preceding option
        (an argument that starts with ``-`` and has no placeholder) is left out with it, so
        ``--degree {degree}`` disappears as a whole.
        """
        unknown = [n for n in self.placeholders if n not in values and n not in inactive]
        if unknown:
            raise _unknown(unknown, list(values) + [n for n in inactive if n not in values])
        argv: list[str] = []
        flag_of_previous: list[bool] = []
        for parts in self._args:
            names = [p.name for p in parts if isinstance(p, _Placeholder)]
            if any(n not in values for n in names):
                only_placeholder = len(parts) == 1
                if only_placeholder and flag_of_previous and flag_of_previous[-1]:
                    argv.pop()
                    flag_of_previous.pop()
                continue
            argv.append(
                "".join(p if isinstance(p, str) else format_value(values[p.name]) for p in parts)
            )
            flag_of_previous.append(not names and argv[-1].startswith("-"))
        return argv


def _unknown(unknown: Sequence[str], known: Collection[str]) -> CommandTemplateError:
    shown = ", ".join("{" + n + "}" for n in unknown)
    return CommandTemplateError(
        f"the command uses placeholder(s) {shown} that name no parameter; known: "
        f"{sorted(known)} (write '{{{{' and '}}}}' for literal braces)"
    )


def render_command(
    command: str | Sequence[str], values: Mapping[str, Any], inactive: Collection[str] = ()
) -> list[str]:
    """``CommandTemplate(command).render(values, inactive)``."""
    return CommandTemplate(command).render(values, inactive)
