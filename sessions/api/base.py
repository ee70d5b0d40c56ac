"""What the sessions API views share: resolving the principal's access to the object
in the URL (404 when they have no part in its session), per-method permissions, and
zip responses."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.principals import principal_of
from sessions import selectors
from sessions.export import streamed_async
from sessions.models import Document, HelpRequest


class ZipRenderer(BaseRenderer):
    """Lets clients ask for `Accept: application/zip`; errors still render as JSON."""

    media_type = "application/zip"
    format = "zip"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return JSONRenderer().render(data)


class SessionsPagination(PageNumberPagination):
    """Pages of a list that grows without bound (docs/API.md, "Conventions"), as the
    monitoring history pages."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ScopedView(APIView):
    """A view on one object of a session. `method_permissions` maps an HTTP method to the
    object permissions it needs, checked against the principal's `selectors.Access`."""

    method_permissions: dict[str, list[type[BasePermission]]] = {}

    def get_permissions(self) -> list[BasePermission]:
        method = self.request.method or "GET"
        method = "GET" if method == "HEAD" else method  # Django answers HEAD with get()
        classes: list[type[BasePermission]] = [IsAuthenticated]
        classes += self.method_permissions.get(method, [])
        return [permission() for permission in classes]

    def session_access(self, request: Request, session_id: uuid.UUID) -> selectors.Access:
        access = selectors.session_access(principal=principal_of(request), session_id=session_id)
        self.check_object_permissions(request, access)
        return access

    def participant_access(self, request: Request, participant_id: uuid.UUID) -> selectors.Access:
        access = selectors.participant_access(principal=principal_of(request), participant_id=participant_id)
        self.check_object_permissions(request, access)
        return access

    def document_access(
        self, request: Request, participant_id: uuid.UUID, document_id: uuid.UUID
    ) -> tuple[selectors.Access, Document]:
        access, document = selectors.document_access(
            principal=principal_of(request), participant_id=participant_id, document_id=document_id
        )
        self.check_object_permissions(request, access)
        return access, document

    def help_access(self, request: Request, help_id: uuid.UUID) -> HelpRequest:
        access, help_request = selectors.help_access(principal=principal_of(request), help_id=help_id)
        self.check_object_permissions(request, access)
        return help_request


def zip_response(request: Request, chunks: Any, filename: str) -> StreamingHttpResponse:
    content = streamed_async(chunks) if isinstance(request._request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
