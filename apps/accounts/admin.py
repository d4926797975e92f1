"""Accounts admin: Django's user and group admins, with checked selections (apps/core/admin.py).

Importing ``django.contrib.auth.admin`` registers its ``GroupAdmin``; it is
registered again here with the mixin.
"""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group

from apps.accounts.models import User
from apps.core.admin import CheckedSelectionMixin


@admin.register(User)
class UserAdmin(CheckedSelectionMixin, auth_admin.UserAdmin):
    pass


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(CheckedSelectionMixin, auth_admin.GroupAdmin):
    pass
