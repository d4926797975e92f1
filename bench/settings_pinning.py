"""The pinning benchmark's build: the project's settings plus two bench-only URLs.

Routers, middleware (``PinningRouterMiddleware`` included) and ``DATABASES``
are the project's. ``bench.pinning_worker`` switches the routing mode with
``override_settings``; ``bench/pinning.py`` points every ``DATABASE_URL*``
variable at a throwaway topology from ``scripts/pg_topology.py``.
"""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.pinning_urls"

# Every logged-in client is created and logs in once; the default hasher would
# spend most of the set-up time there. No timed request checks a password.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
