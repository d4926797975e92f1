"""django-multidb-router's own test suite, run against routers/ with only its imports changed.

The suite ships inside the django-multidb-router package (``multidb/tests.py``).
Its import lines are rewritten (``multidb`` -> ``routers.replica``,
``multidb.pinning`` -> ``routers.pinning``, ``multidb.middleware`` ->
``routers.middleware``, and ``threading``'s ``Thread`` -> ``DaemonThread``
below, a daemon ``Thread``) and the rest runs unchanged: the drop-in claim,
tested by the other library's own tests.
"""

import re
import threading
from pathlib import Path

import multidb
import pytest


class DaemonThread(threading.Thread):
    """``threading.Thread``, started as a daemon unless told otherwise.

    ``test_multithreaded_unpinning`` releases each worker's lock only after the
    assertion about the other worker passed. When one fails, a worker stays
    blocked on its lock for good, and a non-daemon thread keeps the interpreter,
    so pytest, from ever exiting. A daemon thread is dropped at exit instead.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("daemon", True)
        super().__init__(*args, **kwargs)


IMPORTS = [
    (r"^import multidb\.pinning$", "import routers.pinning"),
    (r"^import multidb$", "import routers.replica as multidb"),
    (r"^from multidb\.middleware import", "from routers.middleware import"),
    (r"^from multidb\.pinning import", "from routers.pinning import"),
    (r"^from multidb import", "from routers.replica import"),
    # This module is being imported (so it is in sys.modules already), and
    # DaemonThread is defined above the exec below: the suite can import it.
    (
        r"^from threading import Lock, Thread$",
        f"from threading import Lock\nfrom {__name__} import DaemonThread as Thread",
    ),
]


def translated_suite() -> str:
    source = Path(multidb.__file__).with_name("tests.py").read_text()
    for pattern, replacement in IMPORTS:
        source, count = re.subn(pattern, replacement, source, flags=re.MULTILINE)
        assert count == 1, f"the suite's imports changed: {pattern!r} matched {count} times"
    return source


# The TestCase classes land in this module, where pytest collects them.
exec(compile(translated_suite(), "multidb/tests.py (imports translated)", "exec"), globals())


@pytest.fixture(autouse=True)
def multidb_suite_settings(settings):
    """The settings that suite runs with: one replica router, replicas of default."""
    settings.DATABASE_ROUTERS = ["routers.replica.PinningReplicaRouter"]
    settings.REPLICA_DATABASES = ["replica"]


pytestmark = pytest.mark.sqlite_only  # its TestCases read the test transaction through the mirror
