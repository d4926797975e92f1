from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.likes import selectors, services


@require_POST
def like(request, label, object_id):
    """Like (or, with ``action=unlike``, unlike) a post or product, then go back to its page."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    model = selectors.likeable_model(label=label)
    target = model and selectors.likeable_get(model=model, object_id=object_id)
    if not target:
        raise Http404("Nothing to like here.")
    if request.POST.get("action") == "unlike":
        services.like_delete(user=request.user, target=target)
        messages.info(request, f"You no longer like “{target}”.")
    else:
        services.like_create(user=request.user, target=target)
        messages.success(request, f"You like “{target}” (a row in default).")
    return redirect(back)
