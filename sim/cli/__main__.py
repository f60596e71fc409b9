"""`python -m sim.cli ...` works like `ladder ...`."""

import sys

from . import main

sys.exit(main())
