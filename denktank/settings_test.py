"""Test settings: the real settings with fast hashing, in-process mail and
tasks run eagerly unless a test starts a real worker."""

import os
import tempfile

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DENKTANK_VAR_DIR", os.path.join(tempfile.gettempdir(), "denktank-test-var"))

from .settings import *  # noqa: F403
from .settings import REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Cleared between tests so rate limits, used TOTP codes and kept pages never
# carry over from one test to the next. Pages in files, as on a machine
# without Redis: the ASGI server the browser tests start is another process,
# and it must see the data versions the test's own writes change.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {"BACKEND": "denktank.cache.FileCache", "LOCATION": VAR_DIR / "pages"},  # noqa: F405
}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
SITE_URL = "http://testserver"
# Close connections after each request and task, so a worker thread leaves
# none open when the test database is dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
