"""Time ``GET /blog/`` for one build of the project: a worker of ``bench/run.py``.

Run as ``python -m bench.blog_list`` with ``DJANGO_SETTINGS_MODULE`` set to
``bench.settings_multi_db`` or ``bench.settings_single_db`` and every
``DATABASE_URL*`` variable pointing at empty temporary SQLite files. The
worker migrates them (``migrate_all``; plain ``migrate`` for the single
database, which has no warehouse to keep in step), seeds them
(``bulk_data``), warms up, then prints one JSON line describing the build and
waits for commands on stdin, one a line:

``on`` or ``off``
    Time one run of ``--requests`` requests with ``ROUTING_TRACE`` on or off,
    and print ``{"ms": <ms per request>}``.

``bench/run.py`` drives the workers of every build in turn, so the builds are
measured side by side. Stdout carries only the JSON lines.
"""

import argparse
import hashlib
import io
import json
import sys
import time

import django
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300, help="Posts for bulk_data --size.")
    parser.add_argument("--seed", type=int, default=1, help="Random seed of the data.")
    parser.add_argument("--per-page", type=int, default=10, help="Posts on the page.")
    parser.add_argument("--requests", type=int, default=100, help="Requests per timed run.")
    parser.add_argument("--warmup", type=int, default=30, help="Untimed requests, trace on/off.")
    args = parser.parse_args()

    django.setup()
    create_data(size=args.size, seed=args.seed)
    client = Client()
    url = f"/blog/?per_page={args.per_page}"
    for trace in (True, False):
        with override_settings(ROUTING_TRACE=trace):
            ms_per_request(client, url, requests=args.warmup)
    reply(data=fingerprint(), queries=client.get(url)["X-DB-Queries"])

    for line in sys.stdin:
        with override_settings(ROUTING_TRACE=line.strip() == "on"):
            reply(ms=ms_per_request(client, url, requests=args.requests))


def create_data(*, size: int, seed: int) -> None:
    """Create the tables and the same rows in every build, whatever its database layout."""
    output = io.StringIO()  # keep stdout for the JSON lines
    # migrate_all also keeps the warehouse's copies in step (analytics_owner);
    # the single-database build has no warehouse, so plain migrate does it all.
    call_command("migrate_all" if len(settings.DATABASES) > 1 else "migrate", stdout=output)
    call_command("bulk_data", size=size, seed=seed, stdout=output)


def ms_per_request(client: Client, url: str, *, requests: int) -> float:
    """Return the mean ms of *requests* ``GET url`` requests, each checked to be a page."""
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} returned {response.status_code}, not 200.")
    return (time.perf_counter() - started) * 1000 / requests


def fingerprint() -> str:
    """Return the counts and a hash of the blog rows, to show every build has the same data."""
    from apps.blog.models import Comment, Post

    rows = Post.objects.order_by("pk").values_list("title", "author_id", "content")
    digest = hashlib.sha256(repr(list(rows)).encode()).hexdigest()[:12]
    return f"{len(rows)} posts, {Comment.objects.count()} comments, sha256 {digest}"


def reply(**fields) -> None:
    """Print one JSON line for ``bench/run.py``."""
    print(json.dumps(fields), flush=True)


if __name__ == "__main__":
    main()
