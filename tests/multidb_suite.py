"""django-multidb-router's own test suite, with only its imports translated to routers/.

The suite ships inside that package (``multidb/tests.py``). Its import lines
are rewritten (``multidb`` -> ``routers.replica``, ``multidb.pinning`` ->
``routers.pinning``, ``multidb.middleware`` -> ``routers.middleware``) and one
more: its ``Thread`` makes daemon threads, so a failing
``test_multithreaded_unpinning``, which leaves a thread blocked on a lock,
fails the run instead of keeping the interpreter from ever exiting. The test
code itself runs unchanged.
"""

import re
from importlib.util import find_spec
from pathlib import Path

IMPORTS = [
    (
        r"^from threading import Lock, Thread$",
        "from functools import partial\n"
        "from threading import Lock, Thread as _Thread\n"
        "Thread = partial(_Thread, daemon=True)",
    ),
    (r"^import multidb\.pinning$", "import routers.pinning"),
    (r"^import multidb$", "import routers.replica as multidb"),
    (r"^from multidb\.middleware import", "from routers.middleware import"),
    (r"^from multidb\.pinning import", "from routers.pinning import"),
    (r"^from multidb import", "from routers.replica import"),
]


def translated_suite() -> str:
    """The suite's source with its imports translated; fails if they no longer match."""
    source = Path(find_spec("multidb").origin).with_name("tests.py").read_text()
    for pattern, replacement in IMPORTS:
        source, count = re.subn(pattern, replacement, source, flags=re.MULTILINE)
        assert count == 1, f"the suite's imports changed: {pattern!r} matched {count} times"
    return source
