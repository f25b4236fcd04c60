"""`python -m liepinn.cli`."""

import sys

from . import main

sys.exit(main())
