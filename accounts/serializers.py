from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import Role
from accounts.names import DisplayNameField
from observer.fields import StrictCharField, StrictEmailField, StrictRegexField


class RegisterInputSerializer(serializers.Serializer):
    username = StrictRegexField(r"^[\w.@+-]{2,150}$", max_length=150)
    password = StrictCharField(max_length=128, write_only=True)
    email = StrictEmailField(required=False, allow_blank=True, default="")
    display_name = DisplayNameField(required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=[Role.STUDENT, Role.TEACHER, Role.ADMIN], default=Role.STUDENT)
    invite_code = StrictCharField(required=False, allow_blank=True, max_length=200, default="")


class LoginInputSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, write_only=True)


class RefreshInputSerializer(serializers.Serializer):
    refresh = StrictCharField(max_length=2000)


class UserOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    role = serializers.CharField()
    guest = serializers.SerializerMethodField()

    def get_guest(self, obj: Any) -> bool:
        return False


class GuestOutputSerializer(serializers.Serializer):
    guest = serializers.SerializerMethodField()
    role = serializers.CharField()
    display_name = serializers.CharField()
    participant_id = serializers.UUIDField()
    session_id = serializers.UUIDField()

    def get_guest(self, obj: Any) -> bool:
        return True


class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserOutputSerializer()


class TokenRefreshOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField(help_text="The new refresh token; the one sent is blacklisted.")
