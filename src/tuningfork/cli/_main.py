"""Argument parsing, dispatch to the commands, errors to exit codes."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from tuningfork._core.errors import (
    ConfigError,
    StudyNotFoundError,
    TuningforkError,
)
from tuningfork.cli import _inspect, _reproduce, _run

EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    from tuningfork import __version__

    parser = argparse.ArgumentParser(
        prog="tuningfork",
        description="Hyperparameter tuning from the command line. See docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"tuningfork {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _run.add_parser(sub)
    _inspect.add_parsers(sub)
    _reproduce.add_parser(sub)
    for command in sub.choices.values():
        # SUPPRESS: `tuningfork --debug run ...` must not be reset by the subcommand's default
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
        )
    return parser


def _error(message: str) -> None:
    print(f"tuningfork: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        code: int = args.handler(args)
        return code
    except (ConfigError, StudyNotFoundError) as exc:
        _report(args, exc)
        return EXIT_USAGE
    except TuningforkError as exc:
        _report(args, exc)
        return EXIT_FAILED
    except KeyboardInterrupt:
        _error("interrupted")
        return _run.EXIT_INTERRUPTED
    except Exception as exc:
        _report(args, exc, prefix=f"{type(exc).__name__}: ")
        return EXIT_FAILED


def _report(args: argparse.Namespace, exc: BaseException, prefix: str = "") -> None:
    if args.debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    _error(f"{prefix}{exc}")
    if prefix and not args.debug:  # an unexpected error: the traceback may matter
        print("(run with --debug to see the traceback)", file=sys.stderr)
