from django.urls import path

from gitarchive import api, signin

# Under /api/auth/github/: the round trip's two browser views and the app's calls.
urlpatterns = [
    path("config", api.ConfigView.as_view(), name="github-config"),
    path("start", signin.github_start, name="github-start"),
    path("complete", signin.github_complete, name="github-complete"),
    path("exchange", api.ExchangeView.as_view(), name="github-exchange"),
    path("connect", api.ConnectView.as_view(), name="github-connect"),
    path("account", api.AccountView.as_view(), name="github-account"),
    path("link", api.LinkView.as_view(), name="github-link"),
    path("token", api.TokenView.as_view(), name="github-token"),
]
