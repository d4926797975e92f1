"""The warehouse's one ORM-visible object: a view, read-only, never migrated by Django.

The reporting objects are SQL (``sql/``), applied by the app's migrations to
the warehouse only. ``UserMetric`` maps ``analytics.user_metrics`` so the same
rows the reports read are browsable in the admin and through the ORM; the
warehouse router reads it through the read-only alias, whose ``search_path``
is the ``analytics`` schema (on SQLite the view has no schema).
"""

from django.db import models


class UserMetric(models.Model):
    user_id = models.BigIntegerField(primary_key=True)
    username = models.CharField(max_length=150)
    created_at = models.DateTimeField(help_text="When the user joined.")
    orders = models.BigIntegerField()
    revenue = models.DecimalField(max_digits=14, decimal_places=2)
    posts = models.BigIntegerField()
    comments = models.BigIntegerField()

    class Meta:
        managed = False
        db_table = "user_metrics"
        ordering = ["-revenue", "user_id"]
        verbose_name = "user metric"

    def __str__(self):
        return self.username
