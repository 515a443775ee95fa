"""`python -m workers` runs the `insights` command."""

import sys

from workers.cli import main

sys.exit(main())
