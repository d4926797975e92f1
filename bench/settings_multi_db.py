"""The multi-database build: the project's settings, routing untouched.

Blog tables in ``blog_db``, users in ``default``, ``AppLabelRouter`` and the
``RoutingTraceMiddleware`` as in ``project.settings``. ``bench/run.py`` points
every ``DATABASE_URL*`` variable at temporary SQLite files.
"""

from project.settings import *  # noqa: F403

# django-multidb-router's setting, read only by its ReplicaRouter in
# bench.routing: reads go to the project's "replica" alias.
# https://pypi.org/project/django-multidb-router/0.11/
REPLICA_DATABASES = ["replica"]

# bulk_data hashes a password for every user it makes; the default hasher
# would spend most of the set-up time there. The anonymous blog list never
# checks a password, so the timed requests are unaffected.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
