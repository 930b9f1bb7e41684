"""``python -m dncnn COMMAND``: the study's one entry point (:mod:`dncnn.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
