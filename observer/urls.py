from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.admin import admin_login
from observer import errors, spa

handler400 = "observer.errors.handler400"
handler403 = "observer.errors.handler403"
handler404 = "observer.errors.handler404"
handler500 = "observer.errors.handler500"

urlpatterns = [
    # Before the admin's own login URL, which it replaces (rate limited like the API's).
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/auth/github/", include("gitarchive.auth_urls")),
    path("api/auth/", include("accounts.urls")),
    path("api/", include("sessions.urls")),
    path("api/", include("exercises.urls")),
    path("api/", include("integrations.urls")),
    path("api/", include("gitarchive.urls")),
    path("api/", include("assist.urls")),
    path("judge0/", include("integrations.judge0.urls")),
    path("", include("monitoring.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Unknown API paths answer in the API's error shape, in DEBUG too.
    re_path(r"^api/", errors.api_not_found),
    path("", spa.app_shell, name="app"),
    # Client-side routes of the browser app; API, admin, static and WS paths never land here.
    re_path(r"^(?!api/|admin/|static/|ws/|metrics|health)(?P<path>.+)$", spa.app_shell),
]
