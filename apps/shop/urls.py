from django.urls import path

from apps.shop import views

app_name = "shop"
urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("outbox/", views.outbox, name="outbox"),
    # Last: a product's slug could otherwise be "orders" or "outbox".
    path("<slug:slug>/", views.product_detail, name="product_detail"),
]
