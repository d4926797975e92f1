"""django-multidb-router's own test suite, run against routers/ with only its imports changed.

The suite ships inside the django-multidb-router package (``multidb/tests.py``).
``tests.multidb_suite.translated_suite()`` rewrites its import lines
(``multidb`` -> ``routers.replica``, ``multidb.pinning`` -> ``routers.pinning``,
``multidb.middleware`` -> ``routers.middleware``, and ``threading``'s
``Thread`` -> a daemon ``Thread``, so a failing ``test_multithreaded_unpinning``
can't leave a blocked thread that keeps pytest from exiting) and the rest runs
unchanged: the drop-in claim, tested by the other library's own tests. The same
translation runs in a blank project in ``test_multidb_settings.py``.
"""

import pytest

from tests.multidb_suite import translated_suite

# The TestCase classes land in this module, where pytest collects them.
exec(compile(translated_suite(), "multidb/tests.py (imports translated)", "exec"), globals())


@pytest.fixture(autouse=True)
def multidb_suite_settings(settings):
    """The settings that suite runs with: one replica router, replicas of default.

    Its ``test_defaults`` expects django-multidb-router's cookie defaults; this
    project's pin cookie is HttpOnly by default, so the suite runs with
    that library's value set explicitly, the one line a project that wants
    the old behaviour adds.
    """
    settings.DATABASE_ROUTERS = ["routers.replica.PinningReplicaRouter"]
    settings.REPLICA_DATABASES = ["replica"]
    settings.MULTIDB_PINNING_COOKIE_HTTPONLY = False


pytestmark = pytest.mark.sqlite_only  # its TestCases read the test transaction through the mirror
