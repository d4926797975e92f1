"""Users live in ``default`` with the rest of django.contrib.auth."""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager

from routers import CrossDatabaseQuerySet


class UserManager(DjangoUserManager.from_queryset(CrossDatabaseQuerySet)):
    """Django's user manager, refusing lookups that join into other databases."""


class User(AbstractUser):
    """The project's user; ``blog_posts`` and ``orders`` point at it from other databases."""

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
