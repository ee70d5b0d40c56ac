from __future__ import annotations

from rest_framework import serializers

from gitarchive.credentials import masked
from gitarchive.models import ArchiveJob, GitHubCredential
from observer.fields import StrictCharField, StrictRegexField

REPO_NAME = r"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$"
OWNER_NAME = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$"


class CodeInputSerializer(serializers.Serializer):
    code = StrictCharField(max_length=200)


class ConnectInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=["link", "archive"])
    next = StrictCharField(max_length=300, required=False, default="/account/github")


class UrlOutputSerializer(serializers.Serializer):
    url = serializers.CharField()


class ConfigOutputSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    sign_in_url = serializers.CharField()


class TokenInputSerializer(serializers.Serializer):
    token = StrictRegexField(r"^[A-Za-z0-9_]{20,255}$", error_messages={
        "invalid": "This does not look like a GitHub token (ghp_…, github_pat_…)."})


class CredentialOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    login = serializers.CharField()
    scopes = serializers.CharField()
    masked = serializers.SerializerMethodField(help_text="Never the token: its prefix and last four characters.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)

    def get_masked(self, obj: GitHubCredential) -> str:
        return masked(obj)


class AccountOutputSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    linked = serializers.BooleanField()
    login = serializers.CharField(allow_blank=True)
    can_unlink = serializers.BooleanField(help_text="False while GitHub is the account's only way in.")
    token = CredentialOutputSerializer(allow_null=True)


class ArchiveInputSerializer(serializers.Serializer):
    owner = StrictRegexField(OWNER_NAME, required=False, allow_blank=True, default="",
                             help_text="An organisation; empty: your own account.",
                             error_messages={"invalid": "Not a GitHub account or organisation name."})
    repo = StrictRegexField(REPO_NAME, error_messages={
        "invalid": "A repository name is 1-100 letters, digits, '.', '-' or '_'."})
    private = serializers.BooleanField(default=True)


class SaveInputSerializer(serializers.Serializer):
    repo = StrictRegexField(REPO_NAME, error_messages={
        "invalid": "A repository name is 1-100 letters, digits, '.', '-' or '_'."})
    private = serializers.BooleanField(default=True)


class JobOutputSerializer(serializers.ModelSerializer):
    session_title = serializers.CharField(source="session.title")
    repository = serializers.SerializerMethodField()

    class Meta:
        model = ArchiveJob
        fields = [
            "id", "kind", "session", "participant", "session_title", "owner", "repo", "repository", "private",
            "state", "files_total", "files_done", "repo_url", "commit_sha", "message", "error_code", "created_at",
            "finished_at",
        ]  # fmt: skip

    def get_repository(self, obj: ArchiveJob) -> str:
        return f"{obj.owner}/{obj.repo}" if obj.owner else obj.repo
