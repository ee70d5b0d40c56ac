"""HTTP and WebSocket entry point. WebSocket routes come from each app's routing module."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observer.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from accounts.middleware import TokenAuthMiddleware  # noqa: E402
from integrations.routing import ApiKeySockets  # noqa: E402
from observer import periodic  # noqa: E402
from observer.routing import websocket_urlpatterns  # noqa: E402
from observer.server import ServerEdge  # noqa: E402

# The server's edge (observer.server): the lifespan, and socket offers the application
# cannot read. The first request or connection, or the lifespan's start, starts the
# process's housekeeping (observer.periodic).
application = ServerEdge(periodic.Start(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # API-key sockets beside the rest, outside the user-token and Origin checks
            # (integrations.routing says why).
            "websocket": ApiKeySockets(
                AllowedHostsOriginValidator(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))
            ),
        }
    )
))
