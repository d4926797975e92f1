"""Two bench-only views over rows of ``default``, under the project's own URLs.

``POST /bench/value/`` stores the posted number where the client's own state
lives: a logged-in client's ``first_name``, an anonymous client's session.
``GET /bench/value/`` reads it back through the router, the way any page
reads the user or the session. Both answer ``{"value": n, "user": name}``.
"""

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_http_methods

SESSION_KEY = "bench_value"


@require_http_methods(["GET", "POST"])
def value(request):
    """Store the posted value (POST) or read it back (GET)."""
    user = request.user  # the session, then the user: both read through the router
    if request.method == "POST":
        number = int(request.POST["value"])
        if user.is_authenticated:
            get_user_model().objects.filter(pk=user.pk).update(first_name=str(number))
        else:
            request.session[SESSION_KEY] = number  # saved by SessionMiddleware
        return JsonResponse({"value": number, "user": user.get_username() or None})
    stored = user.first_name if user.is_authenticated else request.session.get(SESSION_KEY)
    return JsonResponse({"value": int(stored or 0), "user": user.get_username() or None})


urlpatterns = [
    path("bench/value/", value),
    path("", include("project.urls")),
]
