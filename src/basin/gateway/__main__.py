"""``python -m basin.gateway --table routes.json``: the gateway in its own process."""

from __future__ import annotations

import sys

from basin.gateway.cli import main

if __name__ == "__main__":
    sys.exit(main())
