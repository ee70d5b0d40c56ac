"""API keys and the webhook queue in the Django admin. A key made here gets its secret
from the service (shown once, in the page's message); revoke and rotate are actions,
audited like the API's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.principals import as_principal, user_of
from integrations import keys, webhooks
from integrations.models import (
    ApiKey,
    AsyncExecution,
    Scope,
    Submission,
    TestSession,
    TestSessionQuestion,
    WebhookDelivery,
)


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)
    allowed_ips = forms.CharField(required=False, help_text="Addresses or networks, comma-separated; empty: any")

    class Meta:
        model = ApiKey
        fields = ["name", "owner", "scopes", "expires_at", "allowed_ips", "requests_rate", "executions_rate",
                  "test_sessions_rate", "webhook_url"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["allowed_ips"] = ", ".join(self.instance.allowed_ips or [])

    def clean_webhook_url(self) -> str:
        url = str(self.cleaned_data.get("webhook_url") or "").strip()
        if url:
            try:
                webhooks.check_url(url)
            except webhooks.UnsafeUrl as exc:
                raise forms.ValidationError(f"The webhook URL {exc}.") from None
        return url

    def clean_allowed_ips(self) -> list[str]:
        values = [v.strip() for v in (self.cleaned_data.get("allowed_ips") or "").split(",") if v.strip()]
        try:
            return keys.valid_networks(values)
        except Exception as exc:  # noqa: BLE001 - a ValidationError of DRF's, shown as the form's
            raise forms.ValidationError(str(getattr(exc, "detail", exc))) from None


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "owner", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at",
                    "use_count")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "owner__username")
    readonly_fields = ("prefix", "created_at", "revoked_at", "last_used_at", "use_count")
    actions = ["revoke", "rotate"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        actor = user_of(as_principal(request.user))
        assert actor is not None  # the admin site's users are signed in
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = keys.key_create(owner=obj.owner, name=obj.name, scopes=form.cleaned_data["scopes"], actor=actor,
                                 expires_at=obj.expires_at, allowed_ips=form.cleaned_data["allowed_ips"],
                                 requests_rate=obj.requests_rate, executions_rate=obj.executions_rate,
                                 test_sessions_rate=obj.test_sessions_rate, webhook_url=obj.webhook_url,
                                 request=request)
        obj.pk = issued.key.pk
        obj.refresh_from_db()
        messages.warning(request, f"The key's secret, shown this once: {issued.secret}")

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        actor = user_of(as_principal(request.user))
        assert actor is not None
        for key in queryset:
            keys.key_revoke(key=key, actor=actor, request=request)

    @admin.action(description="Rotate the selected keys (new secrets, shown once)")
    def rotate(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        actor = user_of(as_principal(request.user))
        assert actor is not None
        for key in queryset.filter(revoked_at__isnull=True):
            issued = keys.key_rotate(key=key, actor=actor, request=request)
            messages.warning(request, f"{key.name}: the new secret, shown this once: {issued.secret}")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("token", "api_key", "language_id", "status", "created_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Submission._meta.fields]


@admin.register(AsyncExecution)
class AsyncExecutionAdmin(admin.ModelAdmin):
    list_display = ("id", "api_key", "state", "owner", "execution_id", "created_at", "finished_at")
    list_filter = ("state",)
    readonly_fields = [f.name for f in AsyncExecution._meta.fields]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "url", "state", "attempts", "last_status", "next_attempt_at", "created_at")
    list_filter = ("state", "event")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]


class TestSessionQuestionInline(admin.TabularInline):
    model = TestSessionQuestion
    fields = ("number", "title", "status", "score", "max_score", "sample_runs", "handed_out_at", "submitted_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(TestSession)
class TestSessionAdmin(admin.ModelAdmin):
    list_display = ("candidate_name", "api_key", "language", "difficulty", "state", "created_at", "completed_at")
    list_filter = ("state", "language", "difficulty")
    search_fields = ("candidate_name", "api_key__name", "api_key__prefix")
    readonly_fields = [f.name for f in TestSession._meta.fields]
    inlines = [TestSessionQuestionInline]
