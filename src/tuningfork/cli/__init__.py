"""The ``tuningfork`` command line: ``run``, ``studies``, ``show``, ``best``, ``export``.

Exit codes: 0 success; 1 the run failed (every trial failed, storage error); 2 a usage or config
error, or an unknown study; 130 interrupted by Ctrl-C; 143 terminated by SIGTERM.
"""

from tuningfork.cli._main import main

__all__ = ["main"]
