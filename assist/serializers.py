"""AI help's request and answer shapes. A provider's key goes in, never out: answers
carry `key_hint` (`sk-…abcd`), who set it and when."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from assist.models import Kind, Mode, Provider


class ProviderInputSerializer(serializers.Serializer):
    base_url = serializers.URLField(
        max_length=500, help_text="e.g. https://api.openai.com/v1 or http://localhost:11434/v1"
    )
    model = serializers.CharField(max_length=200)
    organization = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    api_key = serializers.CharField(
        max_length=500, required=False, allow_blank=True, write_only=True,
        help_text="Required the first time; omitted, the stored key is kept.",
    )  # fmt: skip

    def validate_base_url(self, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("The base URL must be http:// or https://.")
        return value.rstrip("/")


class ProviderOutputSerializer(serializers.Serializer):
    scope = serializers.SerializerMethodField()
    base_url = serializers.CharField()
    model = serializers.CharField()
    organization = serializers.CharField()
    key_hint = serializers.CharField(help_text="The key, masked: its prefix and last four characters.")
    set_by = serializers.SerializerMethodField()
    set_at = serializers.DateTimeField()

    def get_scope(self, provider: Provider) -> str:
        return "deployment" if provider.is_deployment else "teacher"

    def get_set_by(self, provider: Provider) -> str | None:
        return provider.set_by.name if provider.set_by else None


class ConnectionCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    model = serializers.CharField()


class PolicyInputSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=Mode.choices)
    per_student_per_hour = serializers.IntegerField(min_value=1, max_value=1000, default=10)
    session_budget = serializers.IntegerField(min_value=1, max_value=100_000, default=300)
    exercise_modes = serializers.DictField(
        child=serializers.ChoiceField(choices=Mode.choices), required=False,
        help_text="Stricter modes while an exercise is open: {session exercise id: mode}.",
    )  # fmt: skip


class PolicyOutputSerializer(serializers.Serializer):
    mode = serializers.CharField()
    per_student_per_hour = serializers.IntegerField()
    session_budget = serializers.IntegerField()
    disabled_participants = serializers.ListField(child=serializers.CharField())
    exercise_modes = serializers.DictField(child=serializers.CharField())
    provider = serializers.SerializerMethodField()

    def get_provider(self, policy: Any) -> dict[str, Any] | None:
        provider = self.context.get("provider")
        return dict(ProviderOutputSerializer(provider).data) if provider else None


class ParticipantHelpSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()


class QuestionsQuerySerializer(serializers.Serializer):
    participant = serializers.UUIDField(required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
