"""``python -m basin.runtime``: serve a scoring script (see ``basin.runtime.cli``)."""

from __future__ import annotations

import sys

from basin.runtime.cli import main

if __name__ == "__main__":
    sys.exit(main())
