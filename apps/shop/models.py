"""Shop tables live in ``shop_db``; an order's customer lives in ``default``."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from routers import CrossDatabaseQuerySet


class Product(models.Model):
    name = models.CharField(max_length=200)
    # Filled from the name when left blank, made unique with a -2, -3...: the
    # product page's address (/shop/<slug>/).
    slug = models.SlugField(max_length=200, blank=True, unique=True)
    # The legacy stock system's item number (apps/legacy, "ITEM_NO" CHAR(10)):
    # the product page shows its supplier and stock, matched by this value.
    # None for a product the stock system doesn't know (NULLs never collide).
    sku = models.CharField("SKU", max_length=10, unique=True, null=True, blank=True)
    description = models.TextField(blank=True, default="")
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    stock = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CrossDatabaseQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._free_slug(slugify(self.name)[:190] or "product")
        super().save(*args, **kwargs)

    def _free_slug(self, base: str) -> str:
        """*base*, or *base*-2, -3...: the first no other product has."""
        taken = set(
            Product.objects.filter(slug__startswith=base)
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        )
        return next(
            slug
            for slug in (base, *(f"{base}-{n}" for n in range(2, len(taken) + 3)))
            if slug not in taken
        )


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", "Placed"
        CANCELLED = "cancelled", "Cancelled"

    # Cross-database key (see apps.blog.models.CROSS_DATABASE). Nullable, so an
    # order outlives a deleted customer account.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="orders",
        null=True,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLACED)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now)

    objects = CrossDatabaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Order #{self.pk}"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_items")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    objects = CrossDatabaseQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.quantity} × {self.product_id}"

    @property
    def line_total(self):
        return self.unit_price * self.quantity


class OrderEvent(models.Model):
    """The outbox: "this customer placed an order", written in the order's own transaction.

    It lives in ``shop_db`` beside the order, so the two commit together or
    not at all. ``services.outbox_relay`` applies pending events to
    ``default`` (the customer's ``orders_placed``) idempotently, then stamps
    ``applied_at``; whatever is pending when ``default`` can't be reached is
    applied by the next relay run, so the two databases converge by
    themselves.
    """

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="event")
    # Cross-database key, like Order.customer: the row to update in default.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="+",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
    )
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)

    objects = CrossDatabaseQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["applied_at", "id"], name="shop_event_pending")]

    def __str__(self):
        return f"Order #{self.order_id} placed ({'applied' if self.applied_at else 'pending'})"
