from django.shortcuts import render

from apps.core.selectors import row_counts
from apps.core.topology import describe_databases

DEMO_PAGES = [
    (
        "blog:post_list",
        "Blog",
        "App-label routing to blog_db, authors from default in one extra query.",
    ),
    (
        "blog:post_create",
        "Write a post",
        "A write to blog_db whose author key points into default.",
    ),
    (
        "shop:product_list",
        "Shop",
        "Products in shop_db; placing an order is one shop_db transaction.",
    ),
    ("shop:order_list", "My orders", "user.orders: from default into shop_db by customer id."),
    (
        "notes:read_your_writes",
        "Read your writes",
        "Reads go to the replica, but a browser that just wrote reads default until the replica has"
        " its write.",
    ),
    (
        "notes:lag_lab",
        "Lag lab",
        "Staff, PostgreSQL topology: pause replication on the standby and watch pinning at work.",
    ),
    ("admin:index", "Admin", "Every model reads and writes its own database."),
]


def home(request):
    return render(
        request,
        "core/home.html",
        {"databases": describe_databases(), "pages": DEMO_PAGES, "counts": row_counts()},
    )
