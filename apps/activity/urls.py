from django.urls import path

from apps.activity import views

app_name = "activity"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("all/", views.everyone, name="everyone"),
    path("shards/", views.shards, name="shards"),
]
