from django.urls import path

from apps.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.index, name="index"),
    # Before <slug>/, which would otherwise take "rebuild" for a report's name.
    path("rebuild/", views.rebuild, name="rebuild"),
    path("<slug:slug>.csv", views.report_csv, name="report-csv"),
    path("<slug:slug>/", views.report_page, name="report"),
]
