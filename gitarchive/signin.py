"""Sign in with GitHub (social-auth-app-django), and linking GitHub to an account.

The browser goes /api/auth/github/start → GitHub → /api/auth/github/complete. The
Django session carries only the round trip's `state` and intent and is flushed at the
end, so no session cookie stays behind as a second way in. A sign-in ends on
/login#github_code=…: a one-time code in the fragment (which no server log or Referer
carries) that the app trades for the same JWT pair as a password sign-in. Errors end
on /login?github_error=<reason> (or the page that started a link), never a 500.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import user_logged_in
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from social_core.actions import do_auth, do_complete
from social_core.exceptions import (
    AuthAssociationError,
    AuthCanceled,
    AuthConfigurationError,
    AuthCredentialError,
    AuthInputError,
    AuthProviderError,
    AuthResponseError,
    AuthSessionError,
    SocialAuthBaseException,
)
from social_django.utils import load_backend, load_strategy

from accounts.models import User
from gitarchive import conf, selectors
from gitarchive.backend import INTENT_KEY
from gitarchive.codes import BINDING_COOKIE, code_consume, code_issue, new_binding, set_binding
from gitarchive.models import CodePurpose
from gitarchive.pipeline import EmailInUse
from observer.audit import audit_record

logger = logging.getLogger("observer.github")

LINK_HOME = "/account/github"


def safe_next(path: Any, default: str) -> str:
    """A path on this site (never another origin: no open redirect)."""
    if isinstance(path, str) and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path[:300]
    return default


def _with(path: str, **params: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{urlencode(params)}"


def _backend(request: HttpRequest) -> Any:
    strategy = load_strategy(request)
    return load_backend(strategy, "github", reverse("github-complete"))


@never_cache
@require_GET
def github_start(request: HttpRequest) -> HttpResponse:
    """Sign-in (no ticket), or a link/archive round trip for the signed-in user the
    one-time ticket names (the app gets it from POST /api/auth/github/connect)."""
    ticket = request.GET.get("ticket", "")
    if not conf.enabled():
        return HttpResponseRedirect(_with("/login", github_error="not_configured"))
    if ticket:
        binding = request.COOKIES.get(BINDING_COOKIE)
        row = code_consume(code=ticket, purpose=CodePurpose.LINK, binding=binding) or code_consume(
            code=ticket, purpose=CodePurpose.ARCHIVE, binding=binding
        )
        if row is None:
            return HttpResponseRedirect(_with(LINK_HOME, github_error="expired"))
        intent = {"purpose": row.purpose, "user": str(row.user_id), "next": row.next_path or LINK_HOME}
    else:
        intent = {"purpose": "signin", "next": safe_next(request.GET.get("next"), "")}
    request.session[INTENT_KEY] = intent
    return do_auth(_backend(request))  # type: ignore[no-any-return]


def _reason(error: Exception) -> str:
    if isinstance(error, EmailInUse):
        return "email_in_use"
    if isinstance(error, AuthCanceled):
        return "denied"
    if isinstance(error, AuthAssociationError):
        return "taken"
    if isinstance(error, AuthCredentialError | AuthSessionError | AuthInputError):
        # A stale or replayed callback: the code expired or was used, or the state
        # does not match this browser's round trip.
        return "expired"
    if isinstance(error, AuthProviderError | AuthResponseError):
        return "unavailable"
    if isinstance(error, AuthConfigurationError):
        return "not_configured"
    return "failed"


@never_cache
@require_GET
def github_complete(request: HttpRequest) -> HttpResponse:
    intent = request.session.get(INTENT_KEY)
    if not isinstance(intent, dict):
        request.session.flush()
        return HttpResponseRedirect(_with("/login", github_error="expired"))
    purpose = intent.get("purpose", "signin")
    linking = purpose in ("link", "archive")
    user = None
    if linking and intent.get("user"):
        user = selectors.active_user(user_id=str(intent["user"]))
    fail_home = intent.get("next") or LINK_HOME if linking else "/login"
    if linking and user is None:
        request.session.flush()
        return HttpResponseRedirect(_with("/login", github_error="expired"))
    signed_in: dict[str, Any] = {}

    def remember(backend: Any, user: Any, social_user: Any) -> None:  # instead of django's login()
        signed_in["user"] = user

    try:
        with transaction.atomic():
            do_complete(_backend(request), remember, user=user)  # type: ignore[arg-type]
    except SocialAuthBaseException as error:
        reason = _reason(error)
        logger.info("GitHub round trip refused: %s (%s)", reason, type(error).__name__)
        audit_record(action="auth.github_failed", actor=user, request=request, details={"reason": reason})
        return _end(request, _with(fail_home, github_error=reason))
    except Exception:  # GitHub answering garbage, a network error social-auth did not wrap
        logger.exception("GitHub round trip failed")
        return _end(request, _with(fail_home, github_error="unavailable"))

    if linking:
        assert user is not None
        link = selectors.github_link_of(user=user)
        audit_record(action="auth.github_linked", actor=user, target=user, request=request,
                     details={"github_id": link.uid if link else None, "purpose": purpose})
        outcome = "connected" if purpose == "archive" else "linked"
        return _end(request, _with(intent.get("next") or LINK_HOME, github=outcome))
    who = signed_in.get("user")
    if who is None:  # inactive account
        return _end(request, _with("/login", github_error="inactive"))
    binding = new_binding()
    code = code_issue(user=who, purpose=CodePurpose.SIGNIN, binding=binding, next_path=intent.get("next", ""))
    audit_record(action="auth.github_signin", actor=who, target=who, request=request)
    destination = "/login" + (f"?{urlencode({'next': intent['next']})}" if intent.get("next") else "")
    response = _end(request, f"{destination}#github_code={code}")
    set_binding(response, binding)
    return response


def _end(request: HttpRequest, url: str) -> HttpResponse:
    """The round trip's session ends with it: flushed (its cookie deleted) so it is no
    second way in, unless it is an operator's Django admin sign-in, which only loses
    the round trip's keys."""
    if "_auth_user_id" in request.session:
        for key in [k for k in request.session.keys() if k == INTENT_KEY or k.startswith("github_")]:
            del request.session[key]
    else:
        request.session.flush()
    return HttpResponseRedirect(url)


def exchange(*, code: str, request: Any) -> User | None:
    """The signed-in user for a sign-in code, once, from the browser it was made for."""
    row = code_consume(code=code, purpose=CodePurpose.SIGNIN, binding=request.COOKIES.get(BINDING_COOKIE))
    if row is None or not row.user.is_active:
        return None
    user_logged_in.send(sender=type(row.user), request=getattr(request, "_request", request), user=row.user)
    audit_record(action="auth.login", actor=row.user, request=request, details={"via": "github"})
    return row.user
