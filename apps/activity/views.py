"""The sharding pages: your events from the one shard that holds you, everyone's from all."""

import inspect

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from apps.activity import selectors, services
from apps.activity.models import Event
from apps.core.paging import page_size_from

PER_PAGE = 20
EVERYONE = 50  # the newest events of all users on /activity/all/


@login_required
@require_safe
def mine(request):
    """Your events, newest first, from your shard; this visit is recorded there first.

    A write on GET, for the demo: it shows a write and a read landing on the
    same shard. A shard that can't take it costs a line in the log, not the page.
    """
    services.event_record_or_log(user=request.user, kind=Event.Kind.PAGE_VIEWED)
    per_page = page_size_from(request.GET.get("per_page"), default=PER_PAGE)
    page, problem = selectors.events_for_user(
        user=request.user, limit=per_page, page=request.GET.get("page")
    )
    context = {
        "placement": selectors.shard_placement(user=request.user),
        "page": page,
        "per_page": per_page,
        "problem": problem,
        "source": _source(services.event_record, selectors.events_for_user),
    }
    return render(request, "activity/mine.html", context)


@require_safe
def everyone(request):
    """The newest events of all users, every shard asked at once, with each shard's cost."""
    context = {
        "everywhere": selectors.events_everywhere(limit=EVERYONE),
        "limit": EVERYONE,
        "source": _source(selectors.events_everywhere),
    }
    return render(request, "activity/everyone.html", context)


def _source(*functions) -> str:
    """The code that did the work, as the page shows it: read from the module, never stale."""
    return "\n\n".join(inspect.getsource(function) for function in functions)
