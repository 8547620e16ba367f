"""`python -m pyconnect_flow` = the `pyconnect-flow` command."""

import sys

from pyconnect_flow.cli import main

sys.exit(main())
