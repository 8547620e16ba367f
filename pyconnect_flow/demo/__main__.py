"""`python -m pyconnect_flow.demo`."""

import sys

from pyconnect_flow.demo import main

sys.exit(main())
