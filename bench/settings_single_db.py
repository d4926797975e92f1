"""The single-database build: every app in one SQLite database, no routers.

The same apps, middleware (including the routing trace) and templates as
``project.settings``, so the blog list is the same page; only the database
layout differs.
"""

from project.settings import *  # noqa: F403

DATABASES = {"default": DATABASES["default"]}  # noqa: F405
DATABASE_ROUTERS = []
DATABASE_ROUTING_RULES = {}
DATABASE_RELATIONS = []

# As in bench.settings_multi_db: fast seeding, no effect on the timed page.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
