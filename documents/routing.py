"""WebSocket routes of the final report: the live text of a section."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import re_path

from .live.consumer import LiveSectionConsumer

websocket_urlpatterns = [
    # With or without the trailing slash: y-websocket appends the room name to a base URL.
    re_path(r"^ws/einddocument/(?P<pk>[0-9]{1,18})/?$", LiveSectionConsumer.as_asgi()),
]


def websocket_application():
    """The WebSocket side of the ASGI application.

    Only pages of our own origin (a host in ``ALLOWED_HOSTS``) may open a
    socket, so another site cannot use a visitor's session cookie; the
    session identifies the user as on the pages.
    """
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
