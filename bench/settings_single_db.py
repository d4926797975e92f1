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

# The warehouse's reporting views (apps/analytics) belong in analytics_owner.
# With no routers they would be created in this one SQLite file, where a later
# shop migration rebuilds shop_product under a view that reads it, and SQLite
# refuses. The blog page reads no report, so the app goes unmigrated here.
MIGRATION_MODULES = {"analytics": None}
