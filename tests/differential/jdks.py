"""The JDKs the number cases run Kafka Connect on: one before 19 and one from 19 on.

JDK 19 changed ``Double.toString``/``Float.toString`` (Raffaello Giulietti's shortest-digits algorithm,
JDK-4511638), so Kafka Connect prints some doubles differently on JDK 17 and JDK 21. The other JDK is
``$PYCONNECT_TEST_OTHER_JAVA_HOME``, else the first JDK 17+ of the other family found under
``/usr/lib/jvm``; none found fails the test, naming what to install.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.reference import maven

OTHER_JAVA_HOME_ENV = "PYCONNECT_TEST_OTHER_JAVA_HOME"
NEW_TO_STRING = 19  # the first JDK with the shortest-digits Double.toString
_SEARCH = (Path("/usr/lib/jvm"), Path("/usr/java"), Path("/opt/java"), Path("/Library/Java/JavaVirtualMachines"))


def family(version: int) -> str:
    return "new" if version >= NEW_TO_STRING else "old"


def other_family(version: int) -> str:
    """A JDK home (17+) whose family differs from that of Java ``version``."""
    wanted = "old" if family(version) == "new" else "new"
    explicit = os.environ.get(OTHER_JAVA_HOME_ENV)
    candidates = [Path(explicit)] if explicit else sorted(
        home for root in _SEARCH if root.is_dir() for home in root.iterdir())
    for home in candidates:
        for java_home in (home, home / "Contents" / "Home"):
            java = java_home / "bin" / "java"
            if not os.access(java, os.X_OK):
                continue
            try:
                found = maven.java_version(str(java))
            except maven.ReferenceSetupError:
                continue
            if found >= maven.MIN_JAVA and family(found) == wanted:
                return str(java_home)
    needed = "a JDK 17 or 18" if wanted == "old" else "a JDK 19 or newer (e.g. 21 or 25)"
    raise maven.ReferenceSetupError(
        f"the number cases compare Kafka Connect on both Double.toString algorithms: the reference JDK is "
        f"{version}, so they need {needed}; set {OTHER_JAVA_HOME_ENV} to its home (searched: "
        f"{explicit or ', '.join(map(str, _SEARCH))})")
