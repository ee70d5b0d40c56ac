"""An error in the operator's list carries the request id nginx gave the request
(X-Request-ID), the same one as the request's log lines, so one leads to the other."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from monitoring.services import error_record

pytestmark = pytest.mark.django_db


def test_an_error_keeps_the_request_id() -> None:
    request = RequestFactory().get("/api/sessions/", HTTP_X_REQUEST_ID="3f1c9e0a7b")
    event = error_record(source="api", exc=RuntimeError("boom"), request=request)
    assert event is not None and event.details["request_id"] == "3f1c9e0a7b"


def test_without_one_there_is_none() -> None:
    event = error_record(source="api", exc=RuntimeError("boom"), request=RequestFactory().get("/"))
    assert event is not None and "request_id" not in event.details
