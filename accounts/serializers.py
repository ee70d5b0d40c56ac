from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import Role


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]{2,150}$", max_length=150)
    password = serializers.CharField(max_length=128, write_only=True)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")
    role = serializers.ChoiceField(choices=[Role.STUDENT, Role.TEACHER, Role.ADMIN], default=Role.STUDENT)
    invite_code = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class LoginInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, write_only=True)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)


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
