"""The integrations' API, included at /api/: API keys (signed-in teachers and admins),
the execution API and test sessions (API keys). The Judge0 API is judge0/urls.py, at /judge0/."""

from django.urls import URLPattern, URLResolver, path

from integrations import executions, keys_api, test_sessions_api

urlpatterns: list[URLPattern | URLResolver] = [
    path("integrations/keys/", keys_api.KeysView.as_view(), name="api-keys"),
    path("integrations/keys/<uuid:key_id>/", keys_api.KeyDetailView.as_view(), name="api-key"),
    path("integrations/keys/<uuid:key_id>/revoke", keys_api.KeyRevokeView.as_view(), name="api-key-revoke"),
    path("integrations/keys/<uuid:key_id>/rotate", keys_api.KeyRotateView.as_view(), name="api-key-rotate"),
    path("v1/executions", executions.ExecutionsView.as_view(), name="executions"),
    path("v1/executions/<uuid:execution_id>", executions.ExecutionView.as_view(), name="execution"),
    path("v1/test-sessions", test_sessions_api.TestSessionsView.as_view(), name="test-sessions"),
    path("v1/test-sessions/<uuid:test_session_id>", test_sessions_api.TestSessionView.as_view(), name="test-session"),
    path("v1/test-sessions/<uuid:test_session_id>/test", test_sessions_api.TestSessionTestView.as_view(),
         name="test-session-test"),
    path("v1/test-sessions/<uuid:test_session_id>/submit", test_sessions_api.TestSessionSubmitView.as_view(),
         name="test-session-submit"),
]
