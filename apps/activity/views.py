"""The sharding pages: your events from your shard, everyone's from all, and (staff) the map."""

import inspect

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from apps.activity import selectors, services
from apps.activity.forms import MoveActionForm, MoveStartForm
from apps.activity.models import Event
from apps.core.paging import page_size_from
from routers.shard_move import MoveError

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


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def shards(request):
    """Staff: the shard map, its row counts and moves; start, resume or abort a move."""
    if not request.user.is_staff:
        raise PermissionDenied("The shard map and its moves are for staff.")
    start = MoveStartForm(request.POST if "target" in request.POST else None)
    if request.method == "POST" and _act(request, start):
        return redirect("activity:shards")
    version, grid, problem = selectors.logical_shard_grid()
    recent, moves_problem = selectors.moves_recent()
    context = {
        "version": version,
        "grid": grid,
        "problem": "; ".join(p for p in (problem, moves_problem) if p),
        "moves": recent,
        "running": any(row.move.status == "running" for row in recent),
        "form": start,
        "source": _source(services.shard_move_start, selectors.logical_shard_grid),
    }
    return render(request, "activity/shards.html", context)


def _act(request, start: MoveStartForm) -> bool:
    """Do what the POST asks; True when done (or refused with a message), to redirect."""
    try:
        if "target" in request.POST:
            if not start.is_valid():
                return False  # the form shows its errors
            move = services.shard_move_start(**start.cleaned_data)
            messages.success(
                request,
                f"Moving logical shard {move.logical_shard} from {move.source} to "
                f"{move.target}: the steps run in the background; this page follows them.",
            )
            return True
        action = MoveActionForm(request.POST)
        if not action.is_valid():
            messages.error(request, "Unknown action: use the Resume or Abort button.")
            return True
        logical_shard = action.cleaned_data["logical_shard"]
        if action.cleaned_data["action"] == "resume":
            services.shard_move_resume(logical_shard=logical_shard)
            messages.success(request, f"Resuming the move of logical shard {logical_shard}.")
        else:
            services.shard_move_abort(logical_shard=logical_shard)
            messages.success(
                request,
                f"Aborted: logical shard {logical_shard} stays where it was, its copy deleted.",
            )
    except MoveError as error:
        messages.error(request, str(error))
    except DatabaseError as error:
        messages.error(request, f"A database failed: {selectors.problem_of(error)}")
    return True
