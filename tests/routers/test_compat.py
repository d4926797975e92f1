"""Where Django releases differ under routers/: each supported one gets the same behaviour.

The version matrix (``noxfile.py``) runs this file on Django 4.2, 5.2 and 6.0.

- ``PinningRouterMiddleware`` tells a sync chain from an async one by its
  ``get_response``, as Django 5.0+ does for ``async_mode``, an attribute 4.2's
  ``MiddlewareMixin`` doesn't have.
- ``CrossDatabaseGenericForeignKey`` answers the prefetch method this Django
  calls: ``get_prefetch_queryset`` on 4.2, ``get_prefetch_querysets`` from 5.0
  (``tests/routers/test_copying.py`` prefetches across databases with it).
"""

import asyncio

import django
from django.http import HttpResponse
from django.test import RequestFactory

from routers.generic import CrossDatabaseGenericForeignKey
from routers.middleware import PinningRouterMiddleware
from routers.pinning import this_thread_is_pinned


def test_the_middleware_runs_a_sync_chain_in_the_callers_thread():
    seen = []

    def view(request):
        seen.append(this_thread_is_pinned())
        return HttpResponse("sync")

    response = PinningRouterMiddleware(view)(RequestFactory().post("/"))
    assert response.content == b"sync"
    assert seen == [True], "a POST pins the view's reads"


def test_the_middleware_returns_a_coroutine_for_an_async_chain():
    seen = []

    async def view(request):
        seen.append(this_thread_is_pinned())
        return HttpResponse("async")

    pending = PinningRouterMiddleware(view)(RequestFactory().post("/"))
    assert asyncio.iscoroutine(pending)
    assert asyncio.run(pending).content == b"async"
    assert seen == [True], "a POST pins the view's reads"


def test_the_generic_key_answers_the_prefetch_method_this_django_calls():
    defined = vars(CrossDatabaseGenericForeignKey)
    assert "get_prefetch_querysets" in defined
    if django.VERSION < (5, 0):
        assert "get_prefetch_queryset" in defined, "Django 4.2 calls only this one"
    else:
        assert "get_prefetch_queryset" not in defined, "5.0+ call the plural; 6.0 dropped this"
