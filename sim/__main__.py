"""`python -m sim ...` works exactly like `ladder ...`."""

import sys

from .cli import main

sys.exit(main())
