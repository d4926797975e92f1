"""Products get a SKU (the legacy stock system's item number) and a unique slug.

A table that already holds products migrates: the demo's six get their SKUs
(docker/legacy/data.sql), any other none, and a slug another product already
has gets a ``-<id>`` suffix before the slug becomes unique.
"""

from django.db import migrations, models

DEMO_SKUS = {
    "multi-db-field-guide": "MDB-0001",
    "replica-lag-stopwatch": "MDB-0002",
    "sharding-stickers": "MDB-0003",
    "connection-pool-mug": "MDB-0004",
    "wal-segment-poster": "MDB-0005",
    "read-only-role-t-shirt": "MDB-0006",
}


def fill(apps, schema_editor):
    Product = apps.get_model("shop", "Product")
    seen = set()
    for product in Product.objects.using(schema_editor.connection.alias).order_by("id"):
        product.sku = DEMO_SKUS.get(product.slug) if product.slug not in seen else None
        if not product.slug or product.slug in seen:
            product.slug = f"{product.slug or 'product'}-{product.pk}"
        seen.add(product.slug)
        product.save(update_fields=["sku", "slug"])


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_order_event")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="sku",
            field=models.CharField(
                blank=True, max_length=10, null=True, unique=True, verbose_name="SKU"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="product",
            name="slug",
            field=models.SlugField(blank=True, max_length=200, unique=True),
        ),
    ]
