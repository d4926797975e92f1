"""What every app's admin shares: actions refuse a selection that names no row.

The changelist posts the ids of the ticked rows as ``_selected_action``, and
Django's admin filters ``pk__in`` on them as they come: an id that isn't a
primary key (``abc``, U+FFFD, an integer past the column's range) raises
``ValueError`` or ``OverflowError``, a 500. A browser never sends one; a
forged or mangled form does. Every ``ModelAdmin`` in this project, Django's
``UserAdmin`` and ``GroupAdmin`` included (``apps/accounts/admin.py``), mixes
in ``CheckedSelectionMixin``; ``tests/test_hostile_input.py`` posts such ids
to every changelist.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError


class CheckedSelectionMixin:
    """Run an action only when every selected id is a valid primary key; else warn."""

    def response_action(self, request, queryset):
        """Warn, and change nothing, when the selection names ids no row can have."""
        pk = self.model._meta.pk
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                pk.clean(value, None)  # to_python, then the range the column holds
        except ValidationError:
            self.message_user(
                request,
                "The selection names rows that can't exist. No items have been changed.",
                messages.WARNING,
            )
            return None
        return super().response_action(request, queryset)


class ModelAdmin(CheckedSelectionMixin, admin.ModelAdmin):
    """``admin.ModelAdmin`` with checked selections: the base of this project's admins."""
