"""The platform served as ``./scripts/run`` serves it: daphne (HTTP and WebSockets) in a
process of its own, on the test database. pytest-django's ``live_server`` speaks WSGI only."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings as django_settings
from django.db import connection

# Started with ``python -c``: the project's HTTP application and the report's WebSocket
# routes, served by daphne on the test database.
SERVER = """
import os, sys
import django
django.setup()
from django.conf import settings
if os.environ.get("LIVE_REDIS_URL"):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["LIVE_REDIS_URL"]]},
        }
    }
else:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application
from daphne.server import Server
from daphne.endpoints import build_endpoint_description_strings
from documents.routing import websocket_application
application = ProtocolTypeRouter({"http": get_asgi_application(), "websocket": websocket_application()})
Server(
    application=application,
    endpoints=build_endpoint_description_strings(host="127.0.0.1", port=int(sys.argv[1])),
    signal_handlers=True,
).run()
"""


class AsgiServer:
    def __init__(self, tmp_path, redis_url=""):
        self.redis_url = redis_url
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "daphne.log"
        self.process = None

    def start(self):
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "denktank.settings_test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        env["LIVE_REDIS_URL"] = self.redis_url
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVER, str(self.port)],
                cwd=django_settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"daphne stopped:\n{self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"daphne did not answer:\n{self.log.read_text()[-3000:]}")

    def kill(self):
        """A crash: no chance to finish anything."""
        self.process.kill()
        self.process.wait()
        self.process = None

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def asgi_server(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the ASGI server process shares the test database only on PostgreSQL")
    server = AsgiServer(tmp_path)
    server.start()
    yield server
    # Stopped before the database is flushed: its connections would block that.
    server.stop()
