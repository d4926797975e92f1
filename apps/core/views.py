from dataclasses import asdict

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from apps.activity.selectors import shard_overview
from apps.core import patterns, source
from apps.core.highlight import highlighted
from apps.core.readme import anchor, readme
from apps.core.selectors import database_health, health_summary, replica_lag_report, row_counts
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
        "shop:outbox",
        "Order outbox",
        "An order commits in shop_db with an event; the count in default follows, even after an"
        " outage.",
    ),
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
    (
        "legacy:overview",
        "Legacy stock system",
        "A database another system owns: read-only three times over, its stock shown on the shop's"
        " product pages.",
    ),
    (
        "activity:mine",
        "Activity (sharded): mine",
        "Your events, on the one shard of two that holds your user id's logical shard.",
    ),
    (
        "activity:everyone",
        "Activity (sharded): everyone",
        "Every shard asked at once and merged, with what each shard cost.",
    ),
    (
        "activity:shards",
        "Shard map and moves",
        "Staff: each logical shard's database and rows, and moving one to another database while"
        " the site writes (copy, catch up, freeze, verify, switch, clean up).",
    ),
    (
        "health",
        "Health",
        "Each database as this process sees it: up, down or cooling down, replay lag, and whether"
        " it takes reads (also as JSON).",
    ),
    ("admin:index", "Admin", "Every model reads and writes its own database."),
]


@require_safe
def home(request):
    return render(
        request,
        "core/home.html",
        {
            "databases": describe_databases(),
            "pages": DEMO_PAGES,
            "counts": row_counts(),
            "shards": shard_overview(),
        },
    )


@never_cache
@require_safe
def health(request):
    """The health registry as a page; ``?measure=1`` measures replay lag first, for staff.

    Anyone else's ``?measure=1``, and staff's within the throttle's interval,
    gets the figures already known and opens no connection. Hosts, ports and
    the pid, which database errors and the process reveal, are for staff.
    """
    staff = request.user.is_staff
    lag = replica_lag_report(may_measure=staff) if request.GET.get("measure") == "1" else None
    rows = database_health(details=staff)
    context = {"rows": rows, "summary": health_summary(rows=rows, details=staff), "lag": lag}
    return render(request, "core/health.html", context)


@never_cache
@require_safe
def health_json(request):
    """The same as JSON, always with HTTP 200: read ``ok`` (see ``health_summary``).

    For anyone but staff ``pid`` is null and each ``error`` is ``HIDDEN_ERROR``.
    """
    staff = request.user.is_staff
    rows = database_health(details=staff)
    summary = health_summary(rows=rows, details=staff)
    return JsonResponse({**summary, "databases": [asdict(row) for row in rows]})


@never_cache
@require_safe
def health_live(request):
    """Liveness: 200 while this process answers requests. It opens no database connection.

    A container's health check or an orchestrator's liveness probe restarts
    a process that fails it, and restarting cures nothing a database outage
    causes; the readiness URL (``/health/ready/``) is the one that asks them.
    """
    return HttpResponse("alive\n", content_type="text/plain; charset=utf-8")


def bad_request(request, exception):
    """handler400: Django's page, saying why when the reason is the request's size.

    Django's own 400 view shows nothing of the exception, rightly for most of
    them; a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` or a form with more
    fields than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` is the user's to fix, so the
    page says so.
    """
    if isinstance(exception, RequestDataTooBig):
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
        reason = f"What you sent is too large: at most {megabytes:.1f} MB is accepted."
    elif isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        reason = "What you sent has too many fields."
    else:
        reason = ""
    return render(request, "400.html", {"reason": reason}, status=400)


@require_safe
def pattern_list(request):
    return render(request, "core/pattern_list.html", {"patterns": patterns.PATTERNS})


@require_http_methods(["GET", "HEAD", "POST"])  # an experiment that writes is a POST
def pattern_detail(request, slug: str):
    pattern = patterns.BY_SLUG.get(slug)
    if pattern is None:
        raise Http404("No such pattern.")
    context = {
        "pattern": pattern,
        "settings_snippet": highlighted(pattern.settings),
        "sources": [
            (path, highlighted(patterns.source_of(path)), source.module_file(path))
            for path in pattern.sources
        ],
        "tests": [(path, patterns.tests_in(path)) for path in pattern.tests],
        "readme_anchor": anchor(pattern.readme),
    }
    if pattern.experiment:
        context["experiment"] = pattern.run_experiment(request)
        context["experiment_template"] = f"core/experiments/{slug}.html"
    elif request.method == "POST":
        return HttpResponseNotAllowed(["GET", "HEAD"])
    status = context.get("experiment", {}).get("status", 200)
    return render(request, "core/pattern_detail.html", context, status=status)


@require_safe
def readme_page(request):
    found = readme()
    if found is None:
        raise Http404("The README isn't installed here.")
    return render(request, "core/readme.html", {"readme": found})


@require_safe
def source_list(request):
    found = source.modules()
    rows = [
        (name, path.read_text().count("\n"), source.first_line_of_docstring(path))
        for name, path in found.items()
    ]
    return render(request, "core/source_list.html", {"modules": rows})


@require_safe
def source_detail(request, name: str):
    path = source.modules().get(name)  # only routers/'s own modules, whatever name says
    if path is None:
        raise Http404("routers/ has no such module.")
    context = {"name": name, "code": highlighted(path.read_text())}
    return render(request, "core/source_detail.html", context)
