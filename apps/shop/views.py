from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from apps.likes.selectors import like_summary
from apps.shop import selectors, services
from apps.shop.forms import OrderForm
from apps.shop.models import Order, Product


@require_http_methods(["GET", "POST"])
def product_list(request):
    products, supply_problem = selectors.with_supply(selectors.product_list())
    form = OrderForm(request.POST or None, products=products)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        if form.is_valid():
            try:
                order = services.order_place(customer=request.user, quantities=form.quantities())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Order #{order.pk} placed in shop_db.")
                return redirect("shop:order_detail", pk=order.pk)
    return render(
        request, "shop/product_list.html", {"form": form, "supply_problem": supply_problem}
    )


@require_safe
def product_detail(request, slug):
    """One product from ``shop_db``, with its supplier and stock from ``legacy``."""
    try:
        product = selectors.product_detail(slug=slug)
    except Product.DoesNotExist:
        raise Http404("No such product on sale.") from None
    [product], supply_problem = selectors.with_supply([product])
    form = OrderForm(products=[product])
    return render(
        request,
        "shop/product_detail.html",
        {
            "product": product,
            "form": form,
            "supply_problem": supply_problem,
            "likes": like_summary(target=product, user=request.user),
        },
    )


@login_required
@require_safe
def order_list(request):
    orders = selectors.order_list(customer=request.user)
    return render(request, "shop/order_list.html", {"orders": orders})


@login_required
@require_safe
def order_detail(request, pk):
    try:
        order = selectors.order_detail(customer=request.user, pk=pk)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None
    return render(request, "shop/order_detail.html", {"order": order})


@require_http_methods(["GET", "POST"])
def outbox(request):
    """The outbox at work; staff may run the relay by hand (``manage.py outbox_relay``)."""
    if request.method == "POST":
        if not request.user.is_staff:
            return redirect(f"/accounts/login/?next={request.path}")
        result = services.outbox_relay()
        pending = "unknown (a database is down)" if result.pending < 0 else result.pending
        messages.info(request, f"Relay applied {result.applied} events; {pending} pending.")
        return redirect("shop:outbox")
    return render(request, "shop/outbox.html", selectors.outbox_overview())
