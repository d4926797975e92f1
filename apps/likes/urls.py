from django.urls import path

from apps.likes import views

app_name = "likes"
urlpatterns = [
    path("<str:label>/<int:object_id>/", views.like, name="like"),
]
