from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse

from accounts.limits import limit_attempts
from accounts.models import User
from accounts.names import DisplayNameAdminMixin
from accounts.principals import as_principal
from observer.audit import audit_record
from observer.errors import RateLimited, rate_limited_page


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin's login form, counted against the same limits as POST /api/auth/login (one
    allowance per IP and per username for both), answering an HTML 429 with Retry-After."""
    if request.method == "POST":
        try:
            limit_attempts(request, group="login", username=request.POST.get("username", ""))
        except RateLimited as limited:
            return rate_limited_page(request, limited)
    return admin.site.login(request, extra_context)


@admin.register(User)
class UserAdmin(DisplayNameAdminMixin, BaseUserAdmin):
    list_display = ("username", "display_name", "email", "role", "is_active", "last_login", "date_joined")
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "display_name", "email")
    ordering = ("username",)
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Observer", {"fields": ("role", "display_name")}),
    )
    add_fieldsets = (
        *(BaseUserAdmin.add_fieldsets or ()),
        ("Observer", {"fields": ("role", "display_name")}),
    )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        previous = User.objects.filter(pk=obj.pk).values_list("role", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        if change and previous != obj.role:
            audit_record(
                action="user.role_changed",
                actor=as_principal(request.user),
                target=obj,
                request=request,
                details={"from": previous, "to": obj.role},
            )
