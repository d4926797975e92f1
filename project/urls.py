from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from apps.core import views as core_views
from routers.contrib.health_check import ReadinessView

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    # Liveness (the container's HEALTHCHECK): opens no database connection.
    path("health/live/", core_views.health_live, name="health_live"),
    # Readiness: 503 while a database that takes writes can't be reached.
    path("health/ready/", ReadinessView.as_view(), name="health_ready"),
    path("patterns/", core_views.pattern_list, name="pattern_list"),
    path("patterns/<slug:slug>/", core_views.pattern_detail, name="pattern_detail"),
    path("readme/", core_views.readme_page, name="readme"),
    path("source/", core_views.source_list, name="source_list"),
    path("source/<path:name>", core_views.source_detail, name="source_detail"),
    path("health.json", core_views.health_json, name="health_json"),
    path("blog/", include("apps.blog.urls")),
    path("shop/", include("apps.shop.urls")),
    path("analytics/", include("apps.analytics.urls")),
    path("legacy/", include("apps.legacy.urls")),
    path("activity/", include("apps.activity.urls")),
    path("likes/", include("apps.likes.urls")),
    path("", include("apps.notes.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page links; the icon is an SVG. Lazy:
    # a missing static manifest is project.E003's to report, not this import's.
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static, str)("core/favicon.svg"), permanent=True),
    ),
]

if apps.is_installed("debug_toolbar"):  # DJANGO_DEBUG=true (project/settings.py)
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()

handler400 = "apps.core.views.bad_request"

admin.site.site_header = "Multi-database demo administration"
admin.site.site_title = "Multi-database demo admin"
admin.site.index_title = "Data in every database"
