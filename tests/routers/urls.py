"""Probe views for the read/write-splitting tests: each reports where the router sent a read."""

import asyncio

from django.contrib.auth import get_user_model
from django.db import router, transaction
from django.http import JsonResponse
from django.urls import path

from apps.blog.models import Tag
from routers import db_write, reason_for, recording, this_thread_is_pinned

User = get_user_model()


def decision() -> dict:
    """Where a read of User goes now, and why."""
    with recording():
        alias = router.db_for_read(User)
        return {"alias": alias, "reason": reason_for(alias), "pinned": this_thread_is_pinned()}


def read(request):
    return JsonResponse(decision())


def write_on_get(request):
    """A GET that writes to default: pinning must notice the write, not the method."""
    User.objects.filter(pk=0).update(first_name="nobody")
    return JsonResponse(decision())


def write_blog_on_get(request):
    """A GET that writes only to blog_db, which has no replica."""
    Tag.objects.get_or_create(slug="probe", defaults={"name": "Probe"})
    return JsonResponse(decision())


@db_write
def declared_write(request):
    return JsonResponse(decision())


def atomic_read(request):
    with transaction.atomic(using="default"):
        return JsonResponse(decision())


def for_update(request):
    return JsonResponse({"alias": User.objects.select_for_update().db})


async def async_read(request):
    """Decide, yield to other requests, decide again: both must match this request's state."""
    before = decision()
    await asyncio.sleep(float(request.GET.get("sleep", "0")))
    after = decision()
    return JsonResponse({"before": before, "after": after})


def create_user(request):
    """POST: create a user in default (the replicated primary)."""
    User.objects.create_user(username=request.POST["username"], password="pw-123456")
    return JsonResponse({"created": request.POST["username"]})


def user_detail(request, username):
    """Read a user back through the router: found or not, and where from."""
    with recording():
        users = User.objects.filter(username=username)
        alias = users.db
        found = users.exists()
        return JsonResponse({"found": found, "alias": alias, "reason": reason_for(alias)})


def read_many(request):
    return JsonResponse({"decisions": [decision()["alias"] for _ in range(5)]})


urlpatterns = [
    path("users/", create_user),
    path("users/<str:username>/", user_detail),
    path("read-many/", read_many),
    path("read/", read),
    path("write-on-get/", write_on_get),
    path("write-blog-on-get/", write_blog_on_get),
    path("declared-write/", declared_write),
    path("atomic-read/", atomic_read),
    path("for-update/", for_update),
    path("async-read/", async_read),
]
