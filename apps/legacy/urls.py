from django.urls import path

from apps.legacy import views

app_name = "legacy"
urlpatterns = [path("", views.overview, name="overview")]
