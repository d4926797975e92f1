"""The legacy stock system's tables, as another system owns them (docker/legacy/schema.sql).

Started from ``manage.py inspectdb --database legacy --include-views`` and
cleaned up by hand: Python names for the upper-case columns (each keeps its
``db_column``), relations where inspectdb saw plain keys, the composite key
written with field names (inspectdb writes column names there), and fields
for the old habits (apps/legacy/fields.py). Every model is ``managed = False``:
the app has no migrations, and routers/read_only.py refuses any ORM write.
apps/legacy/drift.py compares these models with the live schema.
"""

from django.db import models

from apps.legacy.fields import (
    CompactDateField,
    FixedCharField,
    FixedCharForeignKey,
    FixedCharOneToOneField,
    YesNoField,
)


class Supplier(models.Model):
    number = FixedCharField("supplier number", db_column="SUPP_NO", max_length=6, primary_key=True)
    name = models.CharField(db_column="SUPP_NAME", max_length=40)
    country = FixedCharField(db_column="COUNTRY", max_length=2)
    phone = models.CharField(db_column="PHONE", max_length=20, blank=True, null=True)

    class Meta:
        managed = False
        db_table = "SUPPLIER"
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.name}"


class Item(models.Model):
    # The item number is the shop's product SKU (shop.Product.sku): the two
    # databases share no key Django could join on, so pages match by value.
    sku = FixedCharField("item number", db_column="ITEM_NO", max_length=10, primary_key=True)
    description = models.CharField(db_column="DESCR", max_length=60)
    supplier = FixedCharForeignKey(
        Supplier, models.DO_NOTHING, db_column="SUPP_NO", related_name="items"
    )
    lead_days = models.SmallIntegerField("lead time (days)", db_column="LEAD_DAYS")
    discontinued = YesNoField(db_column="DISC_FLAG")

    class Meta:
        managed = False
        db_table = "ITEM"
        ordering = ["sku"]

    def __str__(self):
        return f"{self.sku} {self.description}"


class Stock(models.Model):
    """Stock of one item in one warehouse, keyed by the pair (Django 5.2's CompositePrimaryKey)."""

    pk = models.CompositePrimaryKey("item", "warehouse")
    item = FixedCharForeignKey(Item, models.DO_NOTHING, db_column="ITEM_NO", related_name="stock")
    warehouse = FixedCharField(db_column="WHSE_CODE", max_length=3)
    on_hand = models.IntegerField("quantity on hand", db_column="QTY_ON_HAND")
    last_counted = CompactDateField(db_column="LAST_COUNT")

    class Meta:
        managed = False
        db_table = "STOCK"
        ordering = ["item", "warehouse"]

    def __str__(self):
        return f"{self.item_id} in {self.warehouse}: {self.on_hand}"


class Availability(models.Model):
    """The ``ITEM_AVAIL`` view: one row per item, stock summed over the warehouses.

    A view has no primary key for inspectdb to find; its item number is one
    in fact, so the model says so (apps/legacy/drift.py allows it on views).
    """

    item = FixedCharOneToOneField(
        Item,
        models.DO_NOTHING,
        db_column="ITEM_NO",
        primary_key=True,
        related_name="availability",
    )
    lead_days = models.SmallIntegerField(db_column="LEAD_DAYS", blank=True, null=True)
    supplier_name = models.CharField(db_column="SUPP_NAME", max_length=40, blank=True, null=True)
    on_hand = models.BigIntegerField(db_column="QTY_TOTAL", blank=True, null=True)

    class Meta:
        managed = False
        db_table = "ITEM_AVAIL"
        verbose_name_plural = "availability"

    def __str__(self):
        return f"{self.item_id}: {self.on_hand} on hand"
