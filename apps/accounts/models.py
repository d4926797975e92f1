"""Users live in ``default`` with the rest of django.contrib.auth."""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models

from routers import CrossDatabaseQuerySet


class UserManager(DjangoUserManager.from_queryset(CrossDatabaseQuerySet)):
    """Django's user manager, refusing lookups that join into other databases."""


class User(AbstractUser):
    """The project's user; ``blog_posts`` and ``orders`` point at it from other databases."""

    # Derived from shop_db's orders, kept here so profile pages need no
    # cross-database count; apps.shop.services.order_place updates it.
    orders_placed = models.PositiveIntegerField(default=0)

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
