"""The GitHub API: sign-in's code exchange, linking, the stored token, and archive jobs."""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import serializers as account_serializers
from accounts import services as account_services
from accounts.limits import limit_attempts
from accounts.principals import is_admin, is_guest, principal_of, user_of
from accounts.schema import error_responses
from accounts.views import AnonymousView
from gitarchive import conf, selectors, signin
from gitarchive import serializers as s
from gitarchive.client import GitHub, GitHubError
from gitarchive.codes import BINDING_COOKIE, code_issue, new_binding, set_binding
from gitarchive.credentials import credential_revoke, credential_store, github_unlink
from gitarchive.jobs import archive_request, jobs_resume_stale
from gitarchive.models import ArchiveKind, JobState
from observer.ratelimits import enforce
from sessions import selectors as session_selectors
from sessions.api.base import ScopedView
from sessions.permissions import IsSessionTeacherOrAdmin


def _user(request: Request) -> Any:
    principal = principal_of(request)
    user = user_of(principal)
    if is_guest(principal) or user is None:
        raise exceptions.PermissionDenied("GitHub needs an Observer account: sign in or create one first.")
    return user


class GitHubNotConfigured(exceptions.APIException):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "github_not_configured"
    default_detail = "GitHub is not set up on this server (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET)."


def _configured() -> None:
    """Every GitHub feature needs the server's GitHub settings (where GitHub is)."""
    if not conf.enabled():
        raise GitHubNotConfigured()


class ConfigView(AnonymousView):
    @extend_schema(responses={200: s.ConfigOutputSerializer, **error_responses(429)},
                   summary="Whether 'Sign in with GitHub' is offered")
    def get(self, request: Request) -> Response:
        enforce(request, group="github-config", rate_name="join_any_ip")  # a loose per-IP ceiling
        return Response({"enabled": conf.enabled(), "sign_in_url": reverse("github-start")})


class ExchangeView(AnonymousView):
    """The end of a GitHub sign-in: the one-time code from the URL fragment for the JWT pair."""

    @extend_schema(request=s.CodeInputSerializer,
                   responses={200: account_serializers.TokenPairOutputSerializer, **error_responses(401, 429)})
    def post(self, request: Request) -> Response:
        limit_attempts(request, group="github-exchange")
        data = s.CodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = signin.exchange(code=data.validated_data["code"], request=request)
        if user is None:
            raise exceptions.AuthenticationFailed("This GitHub sign-in has expired or was already used. Sign in again.")
        body = {**account_services.token_pair_for(user=user),
                "user": account_serializers.UserOutputSerializer(user).data}
        response = Response(body)
        response.delete_cookie(BINDING_COOKIE, path="/api/auth/github/")
        return response


class ConnectView(APIView):
    """A one-time URL that starts a GitHub round trip for the signed-in user: to link the
    account, or to connect it for archiving (which asks GitHub for the `repo` scope)."""

    @extend_schema(request=s.ConnectInputSerializer, responses={200: s.UrlOutputSerializer})
    def post(self, request: Request) -> Response:
        user = _user(request)
        _configured()
        data = s.ConnectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        next_path = signin.safe_next(data.validated_data["next"], signin.LINK_HOME)
        binding = new_binding()
        ticket = code_issue(user=user, purpose=data.validated_data["purpose"], binding=binding, next_path=next_path)
        response = Response({"url": f"{reverse('github-start')}?ticket={ticket}"})
        set_binding(response, binding)
        return response


def _account(user: Any) -> dict[str, Any]:
    social = selectors.github_link_of(user=user)
    credential = selectors.credential_of(user=user)
    return {
        "enabled": conf.enabled(),
        "linked": social is not None,
        "login": (social.extra_data or {}).get("login", "") if social else "",
        "can_unlink": social is not None and user.has_usable_password(),
        "token": s.CredentialOutputSerializer(credential).data if credential else None,
    }


class AccountView(APIView):
    @extend_schema(responses={200: s.AccountOutputSerializer}, summary="The user's GitHub link and stored token")
    def get(self, request: Request) -> Response:
        return Response(_account(_user(request)))


class LinkView(APIView):
    @extend_schema(responses={200: s.AccountOutputSerializer, **error_responses(409)}, summary="Unlink GitHub")
    def delete(self, request: Request) -> Response:
        user = _user(request)
        github_unlink(user=user, request=request)
        return Response(_account(user))


class TokenView(APIView):
    """A fine-grained token pasted instead of connecting through GitHub; or revoking the stored one."""

    @extend_schema(request=s.TokenInputSerializer, responses={200: s.AccountOutputSerializer})
    def put(self, request: Request) -> Response:
        user = _user(request)
        _configured()
        data = s.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = data.validated_data["token"]
        client = GitHub(token)
        try:
            viewer = client.viewer()
        except GitHubError as error:
            raise exceptions.ValidationError({"token": [
                "GitHub did not accept this token." if error.code == "token_expired" else error.message]}) from error
        finally:
            client.close()
        credential_store(user=user, token=token, kind="pasted", login=str(viewer.get("login", "")),
                         scopes=str(viewer.get("_scopes", ""))[:300])
        return Response(_account(user))

    @extend_schema(responses={200: s.AccountOutputSerializer}, summary="Forget the stored token")
    def delete(self, request: Request) -> Response:
        user = _user(request)
        if not credential_revoke(user=user, request=request):
            raise exceptions.NotFound("No GitHub token is stored for this account.")
        return Response(_account(user))


def _start(*, request: Request, user: Any, **fields: Any) -> Response:
    _configured()
    job = archive_request(user=user, request=request, **fields)
    return Response(s.JobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class SessionArchivesView(ScopedView):
    method_permissions = {"GET": [IsSessionTeacherOrAdmin], "POST": [IsSessionTeacherOrAdmin]}

    @extend_schema(responses={200: s.JobOutputSerializer(many=True)}, summary="The session's GitHub archives")
    def get(self, request: Request, session_id: uuid.UUID) -> Response:
        session = self.session_access(request, session_id).session
        jobs = selectors.session_archives(session=session)
        if jobs_resume_stale(job_ids=[j.pk for j in jobs if j.state in (JobState.QUEUED, JobState.RUNNING)]):
            jobs = list(selectors.jobs_by_id(job_ids=[j.pk for j in jobs]))
        return Response(s.JobOutputSerializer(jobs, many=True).data)

    @extend_schema(request=s.ArchiveInputSerializer, responses={202: s.JobOutputSerializer, **error_responses(409)},
                   summary="Archive the session to a GitHub repository (in the background)")
    def post(self, request: Request, session_id: uuid.UUID) -> Response:
        session = self.session_access(request, session_id).session
        user = _user(request)
        data = s.ArchiveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _start(request=request, user=user, kind=ArchiveKind.SESSION, session=session, participant=None,
                      **data.validated_data)


class ParticipantSaveView(ScopedView):
    """A student saves their own files to a repository of their own."""

    @extend_schema(request=s.SaveInputSerializer, responses={202: s.JobOutputSerializer, **error_responses(409)},
                   summary="Save my files to my GitHub")
    def post(self, request: Request, participant_id: uuid.UUID) -> Response:
        access = session_selectors.participant_access(principal=principal_of(request), participant_id=participant_id)
        if not access.is_student:
            raise exceptions.PermissionDenied("Only the student themself can save their work to their GitHub.")
        user = _user(request)
        data = s.SaveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _start(request=request, user=user, kind=ArchiveKind.STUDENT, session=access.session,
                      participant=access.target, owner="", **data.validated_data)


class JobsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.JobOutputSerializer(many=True)}, summary="My archive jobs, newest first")
    def get(self, request: Request) -> Response:
        user = _user(request)
        jobs = selectors.jobs_of(user=user)
        return Response(s.JobOutputSerializer(jobs, many=True).data)


class JobView(APIView):
    @extend_schema(responses={200: s.JobOutputSerializer}, summary="One archive job's progress")
    def get(self, request: Request, job_id: uuid.UUID) -> Response:
        principal = principal_of(request)
        user = _user(request)
        job = selectors.job_detail(job_id=job_id)
        if job is None or not (job.requested_by_id == user.pk or is_admin(principal)):
            raise exceptions.NotFound("No such archive job.")
        if job.state in (JobState.QUEUED, JobState.RUNNING) and jobs_resume_stale(job_ids=[job.pk]):
            job.refresh_from_db()
        return Response(s.JobOutputSerializer(job).data)
