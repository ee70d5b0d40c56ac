"""Reads for GitHub: a user's link and token, archive jobs."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from social_django.models import UserSocialAuth

from accounts.models import User
from gitarchive.models import ArchiveJob, ArchiveKind, GitHubCredential

LIST_MAX = 50


def active_user(*, user_id: str) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


def github_link_of(*, user: Any) -> UserSocialAuth | None:
    return UserSocialAuth.objects.filter(user=user, provider="github").first()


def credential_of(*, user: Any) -> GitHubCredential | None:
    return GitHubCredential.objects.filter(user=user).first()


def session_archives(*, session: Any) -> list[ArchiveJob]:
    jobs = ArchiveJob.objects.filter(session=session, kind=ArchiveKind.SESSION).select_related("session")
    return list(jobs[:LIST_MAX])


def jobs_of(*, user: Any) -> list[ArchiveJob]:
    return list(ArchiveJob.objects.filter(requested_by=user).select_related("session")[:LIST_MAX])


def jobs_by_id(*, job_ids: list[uuid.UUID]) -> QuerySet[ArchiveJob]:
    return ArchiveJob.objects.filter(pk__in=job_ids).select_related("session").order_by("-created_at")


def job_detail(*, job_id: uuid.UUID) -> ArchiveJob | None:
    return ArchiveJob.objects.select_related("session").filter(pk=job_id).first()
