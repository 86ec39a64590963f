"""``python -m tuningfork.cli``."""

import sys

from tuningfork.cli import main

if __name__ == "__main__":
    sys.exit(main())
