"""``python -m basin``: the CLI."""

import sys

from basin.cli.main import main

sys.exit(main())
