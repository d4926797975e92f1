"""A year of sign-ups and orders, so the analytics charts have something to show."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import router, transaction
from django.utils import timezone

from apps.activity.backfill import events_backfill
from apps.shop.models import Order, OrderItem, Product
from routers.management.progress import Report

USERS = 48
PREFIX = "history"
# Fixed ids far above the demo fixtures' and the site's own, so a second run
# finds the same rows and changes nothing.
FIRST_ORDER_ID = 900_001


class Command(BaseCommand):
    help = (
        f"Add {USERS} demo users who joined over the past year, and their orders of the "
        "demo products, each placed after its customer joined. Deterministic and safe to "
        "run again: a second run adds nothing. Run after load_demo."
    )

    def handle(self, *args, verbosity, **options):
        report = Report(self, verbosity)
        products = list(Product.objects.filter(is_active=True).order_by("pk"))
        if not products:
            report.say("No products yet: run manage.py load_demo first.")
            return
        pick = random.Random(2026)
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        User = get_user_model()
        joined = {}
        with transaction.atomic(using=router.db_for_write(User)):
            for n in range(USERS):
                when = now - timedelta(days=365 * (USERS - n) / USERS, hours=pick.randint(0, 23))
                user, _ = User.objects.get_or_create(
                    username=f"{PREFIX}{n:02d}", defaults={"date_joined": when}
                )
                joined[user] = user.date_joined
        added, placed = self._orders(pick, joined, products, now)
        with transaction.atomic(using=router.db_for_write(User)):
            for user, count in placed.items():  # what the order outbox would have counted
                User.objects.filter(pk=user.pk).update(orders_placed=count)
        events = events_backfill()  # ids 32-63 modulo 64: the first users on shard_1
        report.say(
            f"{USERS} history users; {added} orders added; {events.total()} activity events "
            "recorded."
        )

    @staticmethod
    def _orders(pick, joined, products, now) -> tuple[int, dict]:
        """The orders, in one shop_db transaction; the ids say whether they exist yet."""
        plans, order_id = [], FIRST_ORDER_ID
        for user, since in joined.items():
            for _ in range(pick.randint(0, 6)):
                days = max(0, (now - since).days)
                placed = since + timedelta(days=pick.randint(0, days), hours=pick.randint(0, 23))
                lines = [(product, pick.randint(1, 3)) for product in pick.sample(products, k=2)][
                    : pick.randint(1, 2)
                ]
                plans.append((order_id, user, min(placed, now), lines))
                order_id += 1
        with transaction.atomic(using=router.db_for_write(Order)):
            existing = set(
                Order.objects.filter(pk__gte=FIRST_ORDER_ID).values_list("pk", flat=True)
            )
            new = [plan for plan in plans if plan[0] not in existing]
            Order.objects.bulk_create(
                Order(
                    pk=pk,
                    customer_id=user.pk,
                    created_at=placed,
                    total=sum((p.price * q for p, q in lines), Decimal("0")),
                )
                for pk, user, placed, lines in new
            )
            OrderItem.objects.bulk_create(
                OrderItem(order_id=pk, product=p, quantity=q, unit_price=p.price)
                for pk, _, _, lines in new
                for p, q in lines
            )
        placed = {user: sum(1 for plan in plans if plan[1] == user) for user in joined}
        return len(new), placed
