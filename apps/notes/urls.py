from django.urls import path

from apps.notes import views

app_name = "notes"
urlpatterns = [
    path("read-your-writes/", views.read_your_writes, name="read_your_writes"),
    path("read-your-writes/notes/<int:pk>/", views.note_detail, name="note_detail"),
    path("lag-lab/", views.lag_lab, name="lag_lab"),
]
