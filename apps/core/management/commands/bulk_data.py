"""Add generated users, posts, comments, products and orders with factory_boy."""

import random

import factory.random
from django.core.management.base import BaseCommand, CommandError
from django.db import router, transaction

from apps.accounts.factories import UserFactory
from apps.blog.factories import CommentFactory, PostFactory, TagFactory
from apps.blog.models import Post
from apps.shop.factories import OrderItemFactory, ProductFactory
from apps.shop.models import Order
from routers.management.progress import Report

MAX_SIZE = 100_000


class Command(BaseCommand):
    help = (
        "Generate --size N posts (with comments) and N products and orders, spread over "
        "a handful of users. Each database is written in its own transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=100, help="Rows per kind (default 100).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed, for repeatable data.")

    def handle(self, *args, size, seed, verbosity, **options):
        if not 1 <= size <= MAX_SIZE:
            raise CommandError(f"--size must be between 1 and {MAX_SIZE}, not {size}.")
        random.seed(seed)
        factory.random.reseed_random(seed)  # Faker too, so a seed gives the same rows
        UserFactory.reset_sequence(0)
        users = [UserFactory(username=f"bulk{n}") for n in range(max(2, min(size // 10, 50)))]
        report = Report(self, verbosity)  # after the users: their password hashing isn't a post's
        report.say(f"users: {len(users)} added", level=2)
        with transaction.atomic(using=router.db_for_write(Post)):
            tags = [TagFactory(name=f"Bulk topic {n}", slug=f"bulk-topic-{n}") for n in range(5)]
            posts = []
            for done in range(1, size + 1):
                posts.append(PostFactory(author=random.choice(users)))
                report.progress("posts", done, size, unit="posts")
            for done, post in enumerate(posts, 1):
                post.tags.set(random.sample(tags, k=2))
                CommentFactory.create_batch(
                    random.randint(0, 3), post=post, author=random.choice(users)
                )
                report.progress("tags and comments", done, size, unit="posts")
        with transaction.atomic(using=router.db_for_write(Order)):
            products = ProductFactory.create_batch(size)
            report.say(f"products: {size} added", level=2)
            for done in range(1, size + 1):
                OrderItemFactory(
                    order__customer=random.choice(users), product=random.choice(products)
                )
                report.progress("orders", done, size, unit="orders")
        report.say(f"Added {size} posts and {size} products and orders for {len(users)} users.")
