"""`python -m pyconnect_flow` = the `pyconnect-flow` command."""

import sys

from pyconnect_flow.python_version import exit_if_unsupported

exit_if_unsupported()  # before the engine's imports, which fail less clearly on other Pythons

from pyconnect_flow.cli import main  # noqa: E402

sys.exit(main())
