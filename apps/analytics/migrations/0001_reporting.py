"""The reporting schema (``sql/0001_reporting.<vendor>.sql``) and the reader's rights to it."""

from django.conf import settings
from django.db import migrations, models

from apps.analytics.operations import VersionedSQL


def grant_reader(apps, schema_editor):
    """Let the site's read-only role read the ``analytics`` schema, and nothing more.

    Views read the copies with their owner's rights, so the reader needs no
    right on ``public``. Temporary tables are the one thing any role may
    create in a new database; the owner takes that right from PUBLIC here.
    """
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    reader = settings.DATABASES[settings.DATABASE_WAREHOUSE["READ"]].get("USER")
    if not reader or reader == connection.settings_dict.get("USER"):
        return
    role = connection.ops.quote_name(reader)
    schema_editor.execute(f"GRANT USAGE ON SCHEMA analytics TO {role}")
    schema_editor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO {role}")
    schema_editor.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO {role}"
    )
    schema_editor.execute(
        "DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', "
        "current_database()); END $$",
        None,  # no parameters: the % is format()'s, not a placeholder
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        VersionedSQL("0001_reporting"),
        migrations.RunPython(grant_reader, migrations.RunPython.noop),
        migrations.CreateModel(
            name="UserMetric",
            fields=[
                ("user_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("username", models.CharField(max_length=150)),
                ("created_at", models.DateTimeField(help_text="When the user joined.")),
                ("orders", models.BigIntegerField()),
                ("revenue", models.DecimalField(decimal_places=2, max_digits=14)),
                ("posts", models.BigIntegerField()),
                ("comments", models.BigIntegerField()),
            ],
            options={
                "verbose_name": "user metric",
                "db_table": "user_metrics",
                "ordering": ["-revenue", "user_id"],
                "managed": False,
            },
        ),
    ]
