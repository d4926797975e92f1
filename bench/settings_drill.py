"""The reliability drill's build: the project's settings, with failover tuned for a short run.

Routers, middleware (``DegradedModeMiddleware`` included) and ``DATABASES``
are the project's; ``bench/drill.py`` points every ``DATABASE_URL*`` variable
at a throwaway topology from ``scripts/pg_topology.py``.
"""

from project.settings import *  # noqa: F403

# A replica marked down is tried again after 3 s, not 30: the drill's phases
# last 10-12 s, so each shows both the outage and the return.
MULTIDB_REPLICA_COOLDOWN_SECONDS = 3
# Lag measured twice a second; more than 5 s behind takes the replica out.
MULTIDB_REPLICA_LAG_INTERVAL = 0.5
MULTIDB_MAX_REPLICA_LAG = 5

# The drill's members log in once each at the start; the default hasher would
# spend seconds of CPU there. No timed request checks a password.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
