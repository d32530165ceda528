"""`python -m pytest_optbench`: the command line (see pytest_optbench.cli)."""

import sys

from pytest_optbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
